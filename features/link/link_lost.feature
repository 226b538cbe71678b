@link
Feature: A link lost and found again
  When the device drops the link, the app shows it disconnected and tells the
  user why; once the device behaves again the app reconnects with the bond it
  holds, without pairing again.

  @needs:link_faults
  Scenario Outline: The app reconnects to an <model> with its bond after the link dropped
    Given an <model> paired with the app
    And the device has the fault "disconnect_after_operations"
    When the app reads the firmware version
    Then the request fails because the device disconnected
    And the app shows the device disconnected
    When the fault "disconnect_after_operations" is cleared
    And the app connects to the device again
    Then the app shows the device connected
    And the device is paired
    And the app can read the battery

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
