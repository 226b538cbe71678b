@settings @severity:minor
Feature: Brightness of the device's lights
  The app offers two brightness levels, high and low. One setting dims the
  charger's lights and, on a two-piece device, the holder's as well; both are
  read back from the device. A one-piece IQOS 3 Multi has no brightness setting:
  its scenarios are skipped with that reason.

  @needs:brightness
  Scenario Outline: Dimming the lights of an <model> and brightening them again
    Given an <model> paired with the app
    When the user sets the brightness to low from the app
    Then the brightness is low
    When the user sets the brightness to high from the app
    Then the brightness is high

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:brightness @needs:several_devices
  Scenario: Dimming one device leaves the others as they were
    Given these devices paired with the app:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
    And the user sets the brightness of the IQOS 2.4 Plus to high from the app
    When the user sets the brightness of the IQOS 3 DUO to low from the app
    Then the brightness of the IQOS 3 DUO is low
    And the brightness of the IQOS 2.4 Plus is high
