@pairing @severity:critical
Feature: Pairing a device with the app
  A user pairs a device in four steps: the device goes into pairing mode, the
  app finds it and offers it, the app pairs, and the app announces the device
  by its model so the user can name it.

  Scenario Outline: First pairing of an <model>
    Given an <model> in pairing mode
    When the app scans for devices
    Then the device is offered for pairing as an <model>
    When the user pairs with the device
    Then the device is paired
    And the app can read the battery
    When the app disconnects from the device
    Then the device advertises that it is bonded

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  Scenario Outline: An <model> that is already bonded connects without pairing again
    Given an <model> paired with the app
    When the app disconnects from the device
    And the app connects to the device again
    Then the device is paired
    And the app can read the device status

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:fault_injection
  Scenario Outline: An <model> that refuses pairing
    Given an <model> in pairing mode
    And the device has the fault "refuse_pairing"
    When the user tries to pair with the device
    Then pairing fails with "pairing refused"
    And the device advertises that it is in pairing mode

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:stale_bond_recovery
  Scenario Outline: Pairing an <model> again after unpairing it
    Given an <model> paired with the app
    When the user unpairs the device
    Then the app no longer holds a bond for the device
    When the user puts the device in pairing mode
    And the app scans for devices
    Then the device is offered for pairing as an <model>
    When the user pairs with the device
    Then the device is paired
    And the app can read the battery

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  Scenario Outline: An <model> that is not in pairing mode is not offered
    Given an <model> that is not in pairing mode
    When the app scans for devices
    Then the device is not offered for pairing

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:several_devices
  Scenario: Several devices paired to one app
    Given these devices in pairing mode:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
      | IQOS 3 DUO    |
    When the user pairs with every device
    Then every device is paired
    And the app can read the battery of every device
