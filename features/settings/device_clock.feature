@settings @severity:minor
Feature: The device clock
  The app sets the device clock to the phone's time; the device dates its
  usage by it. The clock is read back from the device, and keeps time
  afterwards.

  @needs:clock
  Scenario Outline: The app sets the clock of an <model> to the phone's time
    Given an <model> paired with the app
    When the app sets the device clock to the phone's time
    Then the device clock shows the phone's time

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:clock @needs:simulated_time
  Scenario Outline: The clock of an <model> keeps time once set
    Given an <model> paired with the app
    And the app sets the device clock to the phone's time
    When 5 minutes pass
    Then the device clock has moved on by 5 minutes

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
