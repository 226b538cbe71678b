@pairing
Feature: The advertising window
  A device advertises only for a while after it is switched on, its button is
  pressed or its holder goes into the charger. When the app cannot find it, the
  app tells the user to press the button, instead of waiting in vain.

  @needs:advertising_window @needs:physical_actions
  Scenario Outline: An <model> that stopped advertising is found again after a button press
    Given an <model> in pairing mode
    When the device stops advertising after its window
    And the user tries to connect to the device
    Then the app tells the user to press the button of the device
    When the user presses the button
    And the app scans for devices
    Then the device is offered for pairing as an <model>
    When the user pairs with the device
    Then the device is paired

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
