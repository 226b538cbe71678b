@pairing
Feature: One device among several
  A user may own several devices and pair all of them with one app. What the
  user does to one of them (unpair it, look for it) must leave the others as
  they were.

  @needs:several_devices
  Scenario: Unpairing one of three devices leaves the other two paired
    Given these devices in pairing mode:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
    When the user pairs with every device
    Then every device is paired
    When the user unpairs the IQOS 3 Multi
    Then the app no longer holds a bond for the IQOS 3 Multi
    And the IQOS 2.4 Plus is still paired
    And the IQOS 3 DUO is still paired
    And the app can read the battery of the IQOS 2.4 Plus

  @settings @needs:several_devices @needs:find_my
  Scenario: The locator of one device makes only that device vibrate
    Given these devices paired with the app:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
    When the user starts the locator of the IQOS 3 DUO
    Then only the IQOS 3 DUO vibrates
    When the user stops the locator of the IQOS 3 DUO
    Then no device vibrates

  @needs:several_devices @needs:find_my
  Scenario: Two devices of one model, told apart by their names
    Given these devices paired with the app:
      | model      | name       |
      | IQOS 3 DUO | Anna's DUO |
      | IQOS 3 DUO | Ben's DUO  |
    When the user unpairs "Ben's DUO"
    Then the app no longer holds a bond for "Ben's DUO"
    And "Anna's DUO" is still paired
    When the user starts the locator of "Anna's DUO"
    Then only "Anna's DUO" vibrates

  @diagnostics @needs:several_devices @needs:fault_injection
  Scenario: The diagnostics of the selected device report its fault, and only its
    Given these devices paired with the app:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
    When the user selects the IQOS 3 DUO in the app
    And the device has the fault "ambient_too_hot"
    And the app reads the diagnostics
    Then the diagnostics report "ambient_too_hot"
    When the user selects the IQOS 2.4 Plus in the app
    And the app reads the diagnostics
    Then the diagnostics report a healthy device
    When the user selects the IQOS 3 Multi in the app
    And the app reads the diagnostics
    Then the diagnostics report a healthy device

  @reset @needs:several_devices @needs:app_reset
  Scenario: Resetting the selected device from the app leaves the others paired
    Given these devices paired with the app:
      | model      | name       |
      | IQOS 3 DUO | Anna's DUO |
      | IQOS 3 DUO | Ben's DUO  |
    When the user selects "Ben's DUO" in the app
    And the user resets the device from the app
    Then the device has no bonds
    And "Anna's DUO" is still paired
    And the app can read the battery of "Anna's DUO"
