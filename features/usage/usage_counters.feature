@holder @severity:minor
Feature: Usage counters and sessions left
  The app's usage screen shows the puffs taken and the days the device was used,
  as the device counts them, and how many sessions are left on one charge. A
  scenario reads the counters first and checks how much they grew since. The
  IQOS 3 Multi sends no usage counters: those scenarios are skipped with that
  reason.

  @needs:usage_counters @needs:physical_actions
  Scenario Outline: The puffs of a heating session are counted by an <model>
    Given an <model> paired with the app
    And the app reads the usage counters
    When a heating session has started
    And the user has taken 5 puffs
    And the user ends the heating session
    Then the usage counters show 5 more puffs

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:usage_counters @needs:physical_actions @needs:simulated_time
  Scenario Outline: An <model> used on two days counts two more days used
    Given an <model> paired with the app
    And the app sets the device clock to the phone's time
    And the app reads the usage counters
    When a heating session has started
    And the user ends the heating session
    And the holder is inserted into the charger
    And 24 hours pass
    And a heating session has started
    And the user has taken 2 puffs
    And the user ends the heating session
    Then the usage counters show 2 more days used
    And the usage counters show 2 more puffs

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:fault_injection
  Scenario Outline: A fully charged <model> has <sessions> sessions left on one charge
    Given an <model> paired with the app
    And the device is fully charged
    Then the app reads <sessions> sessions left

    Examples:
      | model         | sessions |
      | IQOS 2.4 Plus | 1        |
      | IQOS 3 DUO    | 2        |
      | IQOS 3 Multi  | 10       |

  @needs:holder @needs:physical_actions @needs:fault_injection
  Scenario Outline: The holder of an <model> has one session fewer after a session
    Given an <model> paired with the app
    And the device is fully charged
    When a heating session has started
    And the user ends the heating session
    And the holder is inserted into the charger
    Then the app reads <left> sessions left

    Examples:
      | model         | left |
      | IQOS 2.4 Plus | 0    |
      | IQOS 3 DUO    | 1    |
