@link
Feature: Out of range and back
  A device carried out of the app's reach loses its link without a goodbye: the
  app shows it disconnected and, once the device is back and advertising, takes
  the link up again on its own with the bond it holds. A restarted app still
  knows its bonds, and reconnects without pairing.

  @needs:out_of_range
  Scenario Outline: The app reconnects on its own to an <model> that comes back in range
    Given an <model> paired with the app
    When the device goes out of range
    Then the app shows the device disconnected
    And the app still holds a bond for the device
    When the device comes back in range
    Then the app reconnects to the device on its own
    And the device is paired
    And the app can read the device status

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  Scenario Outline: A restarted app still knows its bond with an <model>
    Given an <model> paired with the app
    When the app is restarted
    Then the app still holds a bond for the device
    And the app reconnects to the device on its own
    And the device is paired

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:link_faults
  Scenario Outline: An <model> that drops the link keeps its bond
    Given an <model> paired with the app
    And the device has the fault "disconnect_after_operations"
    When the app reads the device status
    Then the request fails because the device disconnected
    And the app shows the device disconnected
    And the app still holds a bond for the device
    When the fault "disconnect_after_operations" is cleared
    Then the app reconnects to the device on its own
    And the device is paired
    And the app can read the device status

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
