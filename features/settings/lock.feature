@settings @severity:critical
Feature: Locking the device from the app
  A locked device does not heat, so a child or a stranger cannot use it. The
  user locks and unlocks it from the app; the app reads the lock back from the
  device each time. A one-piece IQOS 3 Multi has no lock: its scenarios are
  skipped with that reason.

  @needs:lock
  Scenario Outline: Locking and unlocking an <model>
    Given an <model> paired with the app
    Then the device is unlocked
    When the user locks the device from the app
    Then the device is locked
    When the user unlocks the device from the app
    Then the device is unlocked

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:lock @needs:physical_actions
  Scenario Outline: A locked <model> refuses to heat until it is unlocked
    Given an <model> paired with the app
    And the user locks the device from the app
    When the user tries to start a heating session
    Then the device does not start heating
    When the user unlocks the device from the app
    And a heating session has started
    And the user has taken 3 puffs
    And the user ends the heating session
    Then the last session ended with "user action" after 3 puffs

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:lock @needs:several_devices
  Scenario: Locking one device leaves the others unlocked
    Given these devices paired with the app:
      | model         | name        |
      | IQOS 3 DUO    | Anna's DUO  |
      | IQOS 3 DUO    | Ben's DUO   |
      | IQOS 2.4 Plus |             |
    When the user locks "Anna's DUO" from the app
    Then "Anna's DUO" is locked
    And "Ben's DUO" is unlocked
    And the IQOS 2.4 Plus is unlocked
    When the user unlocks "Anna's DUO" from the app
    Then "Anna's DUO" is unlocked
