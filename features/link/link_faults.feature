@link
Feature: Faults on the Bluetooth link
  The app must give a clear error when the link misbehaves, and stay usable
  once the device behaves again.

  @needs:link_faults
  Scenario Outline: An <model> that disconnects in the middle of a request
    Given an <model> paired with the app
    And the device has the fault "disconnect_after_operations"
    When the app reads the firmware version
    Then the request fails because the device disconnected
    When the fault "disconnect_after_operations" is cleared
    And the app connects to the device again
    Then the app can read the device status

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:link_faults
  Scenario Outline: An <model> that stops answering
    Given an <model> paired with the app
    And the device has the fault "scp_no_answer"
    When the app reads the firmware version
    Then the request fails with a timeout
    When the fault "scp_no_answer" is cleared
    Then the app can read the firmware version

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:link_faults
  Scenario Outline: An <model> that answers slowly is still usable
    Given an <model> paired with the app
    And the device has the fault "slow_answers"
    When the app reads the firmware version
    Then the request succeeds
    And the app can read the device status

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:link_faults
  Scenario Outline: An <model> that answers with a bad checksum
    Given an <model> paired with the app
    And the device has the fault "scp_bad_crc"
    When the app reads the firmware version
    Then the request fails with a protocol error
    When the fault "scp_bad_crc" is cleared
    Then the app can read the firmware version

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:link_faults @needs:fault_injection
  Scenario Outline: An <model> that drops its notifications
    Given an <model> paired with the app
    And the app listens for notifications
    And the device has the fault "drop_notifications"
    When the charger battery drops to 40%
    Then the app reads a charger level of 40%
    But the app was not notified of the change

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
