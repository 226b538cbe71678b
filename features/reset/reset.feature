@reset @severity:critical
Feature: Resetting a device
  A reset clears the device's errors and its bonds. Support advises it when
  pairing fails. It can be done from the app, or by holding the button for
  about ten seconds.

  @needs:app_reset @needs:fault_injection @needs:stale_bond_recovery
  Scenario Outline: Resetting an <model> from the app
    Given an <model> paired with the app
    And the device has the fault "charger_error_self_test_failure"
    When the user resets the device from the app
    Then the device has no bonds
    And the device advertises that it is in pairing mode
    When the app forgets the device
    And the user pairs with the device
    Then the device has no errors or warnings

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:physical_actions @needs:stale_bond_recovery
  Scenario Outline: Resetting an <model> with a long press of the button
    Given an <model> paired with the app
    When the button is held for 10 seconds
    And the app disconnects from the device
    Then the device has no bonds
    And the device advertises that it is in pairing mode

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:physical_actions
  Scenario Outline: A short press of the button on an <model> does not reset it
    Given an <model> paired with the app
    When the button is held for 3 seconds
    Then the device is paired
    When the app disconnects from the device
    Then the device advertises that it is bonded

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:app_reset @needs:physical_actions @needs:stale_bond_recovery
  Scenario Outline: Resetting an <model> during a heating session ends the session
    Given an <model> paired with the app
    And a heating session has started
    And the user has taken 4 puffs
    When the user resets the device from the app
    Then the device has no bonds
    When the app forgets the device
    And the user pairs with the device
    Then the last session ended with "user action" after 4 puffs

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:app_reset @needs:fault_injection @needs:stale_bond_recovery
  Scenario Outline: An <model> after a reset has no errors, warnings or bonds
    Given an <model> paired with the app
    And the device has the fault "charger_error_self_test_failure"
    And the device has the fault "charging_timeout"
    When the user resets the device from the app
    Then the device has no bonds
    And the device advertises that it is in pairing mode
    When the app forgets the device
    And the user pairs with the device
    Then the device has no errors or warnings

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:app_reset @needs:stale_bond_recovery
  Scenario Outline: Pairing an <model> again after a reset
    Given an <model> paired with the app
    When the user resets the device from the app
    And the app forgets the device
    And the app scans for devices
    Then the device is offered for pairing as an <model>
    When the user pairs with the device
    Then the device is paired
    And the app can read the device status

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
