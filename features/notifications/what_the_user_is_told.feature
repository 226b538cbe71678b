@notifications @needs:notification_scenarios
Feature: What the app tells the user
  The app hears from a paired device when something the user cares about
  happens: something goes wrong; a heating session ends, and why; the holder
  runs out. A problem the diagnostics found goes away from the report once its
  cause is gone.

  @needs:physical_actions @needs:simulated_time
  Scenario Outline: The app is told that a heating session of an <model> ran its full profile
    Given an <model> paired with the app
    And the app listens for notifications
    And a heating session has started
    When the heating session has ended
    Then the app is notified that the heating session ended with "end of profile"

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:physical_actions
  Scenario Outline: The app is told that the user ended a heating session of an <model>
    Given an <model> paired with the app
    And the app listens for notifications
    And a heating session has started
    And the user has taken 3 puffs
    When the user ends the heating session
    Then the app is notified that the heating session ended with "user action"

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:physical_actions
  Scenario Outline: The app is told that a heating session of an <model> reached the puff limit
    Given an <model> paired with the app
    And the app listens for notifications
    And a heating session has started
    When the user has taken 14 puffs
    Then the app is notified that the heating session ended with "puff limit"

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @battery @needs:holder @needs:physical_actions @needs:simulated_time
  Scenario Outline: The app is told that the holder of an <model> ran out
    Given an <model> paired with the app
    And the device is fully charged
    And the app listens for notifications
    When the user smokes <sessions> heating sessions
    And the holder is inserted into the charger
    Then the app is notified that the holder battery is empty

    Examples:
      | model         | sessions |
      | IQOS 2.4 Plus | 1        |
      | IQOS 3 DUO    | 2        |

  @battery @needs:holder @needs:fault_injection
  Scenario Outline: The app is told that the holder of an <model> is empty
    Given an <model> paired with the app
    And the app listens for notifications
    When the device has the fault "holder_low_battery"
    Then the app is notified that the holder battery is empty

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |

  @diagnostics @needs:fault_injection
  Scenario Outline: The app is told at once that an <model> has <finding>
    Given an <model> paired with the app
    And the app listens for notifications
    When the device has the fault "<fault>"
    Then the app is notified of "<finding>"

    Examples: every model
      | model         | fault                           | finding                         |
      | IQOS 2.4 Plus | ambient_too_hot                 | ambient_too_hot                 |
      | IQOS 3 DUO    | charger_error_self_test_failure | charger_error_self_test_failure |
      | IQOS 3 Multi  | ambient_too_hot                 | ambient_too_hot                 |

    Examples: models with a holder
      | model         | fault           | finding         |
      | IQOS 2.4 Plus | holder_defect   | holder_defect   |
      | IQOS 3 DUO    | cleaning_needed | cleaning_needed |

  @diagnostics @needs:fault_injection
  Scenario Outline: The diagnostics of an <model> stop reporting <finding> once it is cleared
    Given an <model> paired with the app
    And the device has the fault "<fault>"
    When the app reads the diagnostics
    Then the diagnostics report "<finding>"
    When the fault "<fault>" is cleared
    Then the diagnostics no longer report "<finding>"
    And the diagnostics report a healthy device

    Examples: every model
      | model         | fault                           | finding                         |
      | IQOS 2.4 Plus | ambient_too_hot                 | ambient_too_hot                 |
      | IQOS 2.4 Plus | charger_error_self_test_failure | charger_error_self_test_failure |
      | IQOS 3 DUO    | ambient_too_hot                 | ambient_too_hot                 |
      | IQOS 3 DUO    | charger_error_self_test_failure | charger_error_self_test_failure |
      | IQOS 3 Multi  | ambient_too_hot                 | ambient_too_hot                 |
      | IQOS 3 Multi  | charger_error_self_test_failure | charger_error_self_test_failure |

    Examples: models with a holder
      | model         | fault           | finding         |
      | IQOS 2.4 Plus | cleaning_needed | cleaning_needed |
      | IQOS 2.4 Plus | holder_defect   | holder_defect   |
      | IQOS 3 DUO    | cleaning_needed | cleaning_needed |
      | IQOS 3 DUO    | holder_defect   | holder_defect   |
