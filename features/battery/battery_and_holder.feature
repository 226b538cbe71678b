@battery @notifications
Feature: Battery and holder notifications
  The app shows the charge level and tells the user when the holder or the
  pocket charger is ready for use.

  @needs:holder @needs:physical_actions @needs:simulated_time
  Scenario Outline: The app is told when the holder of an <model> is ready after charging
    Given an <model> paired with the app
    And the app listens for notifications
    And a heating session has started
    And the heating session has ended
    When the holder is inserted into the charger
    And 4 minutes pass
    Then the app is notified that the holder is ready to use
    And the app reads a holder level of 100%

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |

  @needs:fault_injection
  Scenario Outline: The app is told when the charger of an <model> runs low
    Given an <model> paired with the app
    And the app listens for notifications
    When the charger battery drops to 8%
    Then the app is notified of a charger level of 8%
    And the diagnostics report "charger_low_battery"

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:holder
  Scenario Outline: The holder of an <model> reports only while it is in the charger
    Given an <model> paired with the app
    When the holder is removed from the charger
    Then the battery shows no holder
    When the holder is inserted into the charger
    Then the battery shows a holder

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |

  @model:iqos-3-multi @needs:physical_actions @needs:simulated_time
  Scenario: An IQOS 3 Multi counts down the sessions left on one charge
    Given an IQOS 3 Multi paired with the app
    And the device is fully charged
    When the user smokes 3 heating sessions
    Then the app reads 7 sessions left

  @needs:holder @needs:physical_actions @needs:simulated_time
  Scenario Outline: The holder of an <model> gives <sessions> sessions per charge
    Given an <model> paired with the app
    And the device is fully charged
    When the user smokes <sessions> heating sessions
    And the holder is inserted into the charger
    Then the app reads a holder level of 0%
    And the holder is charging

    Examples:
      | model         | sessions |
      | IQOS 2.4 Plus | 1        |
      | IQOS 3 DUO    | 2        |
