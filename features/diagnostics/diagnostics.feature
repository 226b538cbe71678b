@diagnostics
Feature: Diagnostics
  The app detects when a device needs maintenance, says what is wrong, and
  tells the user what to do about it.

  Scenario Outline: A healthy <model>
    Given an <model> paired with the app
    When the app reads the diagnostics
    Then the diagnostics report a healthy device
    And the diagnostics show the firmware version and a masked serial number

    Examples:
      | model |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO |
      | IQOS 3 Multi |

  @needs:fault_injection
  Scenario Outline: An <model> with <fault>
    Given an <model> paired with the app
    And the device has the fault "<fault>"
    When the app reads the diagnostics
    Then the diagnostics report "<finding>"
    And the app advises "<action>"

    Examples: every model
      | model | fault | finding | action |
      | IQOS 2.4 Plus | charger_error_holder_battery_charger_defect | charger_error_holder_battery_charger_defect | contact support: the device needs service |
      | IQOS 2.4 Plus | charger_error_charging_timeout | charger_error_charging_timeout | plug the charger into another power source and charge again |
      | IQOS 2.4 Plus | charger_error_charger_battery_charger_defect | charger_error_charger_battery_charger_defect | contact support: the device needs service |
      | IQOS 2.4 Plus | charger_error_self_test_failure | charger_error_self_test_failure | reset the device |
      | IQOS 2.4 Plus | charger_defect | charger_defect | contact support: the device needs service |
      | IQOS 2.4 Plus | charger_low_battery | charger_low_battery | charge the pocket charger |
      | IQOS 2.4 Plus | ambient_too_hot | ambient_too_hot | let the device cool down |
      | IQOS 2.4 Plus | ambient_too_cold | ambient_too_cold | let the device warm up |
      | IQOS 2.4 Plus | charging_timeout | charger_error_charging_timeout | plug the charger into another power source and charge again |
      | IQOS 2.4 Plus | session_ended_heater_too_hot | session_ended_heater_too_hot | let the device cool down |
      | IQOS 2.4 Plus | session_ended_heater_power_out_of_range | session_ended_heater_power_out_of_range | reset the device |
      | IQOS 2.4 Plus | session_ended_low_battery | session_ended_low_battery | insert the holder into the charger |
      | IQOS 2.4 Plus | session_ended_system_fault | session_ended_system_fault | reset the device |
      | IQOS 2.4 Plus | session_ended_ambient_too_hot | session_ended_ambient_too_hot | let the device cool down |
      | IQOS 2.4 Plus | session_ended_heater_variation | session_ended_heater_variation | clean the holder |
      | IQOS 3 DUO | charger_error_holder_battery_charger_defect | charger_error_holder_battery_charger_defect | contact support: the device needs service |
      | IQOS 3 DUO | charger_error_charging_timeout | charger_error_charging_timeout | plug the charger into another power source and charge again |
      | IQOS 3 DUO | charger_error_charger_battery_charger_defect | charger_error_charger_battery_charger_defect | contact support: the device needs service |
      | IQOS 3 DUO | charger_error_self_test_failure | charger_error_self_test_failure | reset the device |
      | IQOS 3 DUO | charger_defect | charger_defect | contact support: the device needs service |
      | IQOS 3 DUO | charger_low_battery | charger_low_battery | charge the pocket charger |
      | IQOS 3 DUO | ambient_too_hot | ambient_too_hot | let the device cool down |
      | IQOS 3 DUO | ambient_too_cold | ambient_too_cold | let the device warm up |
      | IQOS 3 DUO | charging_timeout | charger_error_charging_timeout | plug the charger into another power source and charge again |
      | IQOS 3 DUO | session_ended_heater_too_hot | session_ended_heater_too_hot | let the device cool down |
      | IQOS 3 DUO | session_ended_heater_power_out_of_range | session_ended_heater_power_out_of_range | reset the device |
      | IQOS 3 DUO | session_ended_low_battery | session_ended_low_battery | insert the holder into the charger |
      | IQOS 3 DUO | session_ended_system_fault | session_ended_system_fault | reset the device |
      | IQOS 3 DUO | session_ended_ambient_too_hot | session_ended_ambient_too_hot | let the device cool down |
      | IQOS 3 DUO | session_ended_heater_variation | session_ended_heater_variation | clean the holder |
      | IQOS 3 Multi | charger_error_holder_battery_charger_defect | charger_error_holder_battery_charger_defect | contact support: the device needs service |
      | IQOS 3 Multi | charger_error_charging_timeout | charger_error_charging_timeout | plug the charger into another power source and charge again |
      | IQOS 3 Multi | charger_error_charger_battery_charger_defect | charger_error_charger_battery_charger_defect | contact support: the device needs service |
      | IQOS 3 Multi | charger_error_self_test_failure | charger_error_self_test_failure | reset the device |
      | IQOS 3 Multi | charger_defect | charger_defect | contact support: the device needs service |
      | IQOS 3 Multi | charger_low_battery | charger_low_battery | charge the pocket charger |
      | IQOS 3 Multi | ambient_too_hot | ambient_too_hot | let the device cool down |
      | IQOS 3 Multi | ambient_too_cold | ambient_too_cold | let the device warm up |
      | IQOS 3 Multi | charging_timeout | charger_error_charging_timeout | plug the charger into another power source and charge again |
      | IQOS 3 Multi | session_ended_heater_too_hot | session_ended_heater_too_hot | let the device cool down |
      | IQOS 3 Multi | session_ended_heater_power_out_of_range | session_ended_heater_power_out_of_range | reset the device |
      | IQOS 3 Multi | session_ended_low_battery | session_ended_low_battery | insert the holder into the charger |
      | IQOS 3 Multi | session_ended_system_fault | session_ended_system_fault | reset the device |
      | IQOS 3 Multi | session_ended_ambient_too_hot | session_ended_ambient_too_hot | let the device cool down |
      | IQOS 3 Multi | session_ended_heater_variation | session_ended_heater_variation | clean the holder |

    Examples: models with a holder
      | model | fault | finding | action |
      | IQOS 2.4 Plus | holder_error_system_defect | holder_error_system_defect | contact support: the device needs service |
      | IQOS 2.4 Plus | holder_error_charging_timeout | holder_error_charging_timeout | insert the holder into the charger again |
      | IQOS 2.4 Plus | holder_error_temperature_out_of_range | holder_error_temperature_out_of_range | let the device return to room temperature |
      | IQOS 2.4 Plus | holder_error_identification_failure | holder_error_identification_failure | clean the holder contacts and insert it again |
      | IQOS 2.4 Plus | holder_warning_communication_problem | holder_warning_communication_problem | insert the holder into the charger again |
      | IQOS 2.4 Plus | holder_warning_null_charging_count | holder_warning_null_charging_count | charge the holder |
      | IQOS 2.4 Plus | holder_warning_protocol_not_supported | holder_warning_protocol_not_supported | contact support: the device needs service |
      | IQOS 2.4 Plus | holder_warning_battery_aged | battery_aged | consider replacing the holder |
      | IQOS 2.4 Plus | battery_aged | battery_aged | consider replacing the holder |
      | IQOS 2.4 Plus | holder_defect | holder_defect | contact support: the device needs service |
      | IQOS 2.4 Plus | holder_system_error | holder_system_error | reset the device |
      | IQOS 2.4 Plus | holder_low_battery | holder_uncharged | insert the holder into the charger |
      | IQOS 2.4 Plus | holder_missing | holder_not_in_charger | insert the holder into the charger |
      | IQOS 2.4 Plus | holder_rx_pin_open | holder_rx_pin_open | insert the holder into the charger again and clean its contacts |
      | IQOS 2.4 Plus | holder_tx_pin_open | holder_tx_pin_open | insert the holder into the charger again and clean its contacts |
      | IQOS 2.4 Plus | holder_not_connected | holder_not_connected | insert the holder into the charger again and clean its contacts |
      | IQOS 2.4 Plus | cleaning_needed | cleaning_needed | clean the holder |
      | IQOS 3 DUO | holder_error_system_defect | holder_error_system_defect | contact support: the device needs service |
      | IQOS 3 DUO | holder_error_charging_timeout | holder_error_charging_timeout | insert the holder into the charger again |
      | IQOS 3 DUO | holder_error_temperature_out_of_range | holder_error_temperature_out_of_range | let the device return to room temperature |
      | IQOS 3 DUO | holder_error_identification_failure | holder_error_identification_failure | clean the holder contacts and insert it again |
      | IQOS 3 DUO | holder_warning_communication_problem | holder_warning_communication_problem | insert the holder into the charger again |
      | IQOS 3 DUO | holder_warning_null_charging_count | holder_warning_null_charging_count | charge the holder |
      | IQOS 3 DUO | holder_warning_protocol_not_supported | holder_warning_protocol_not_supported | contact support: the device needs service |
      | IQOS 3 DUO | holder_warning_battery_aged | battery_aged | consider replacing the holder |
      | IQOS 3 DUO | battery_aged | battery_aged | consider replacing the holder |
      | IQOS 3 DUO | holder_defect | holder_defect | contact support: the device needs service |
      | IQOS 3 DUO | holder_system_error | holder_system_error | reset the device |
      | IQOS 3 DUO | holder_low_battery | holder_uncharged | insert the holder into the charger |
      | IQOS 3 DUO | holder_missing | holder_not_in_charger | insert the holder into the charger |
      | IQOS 3 DUO | holder_rx_pin_open | holder_rx_pin_open | insert the holder into the charger again and clean its contacts |
      | IQOS 3 DUO | holder_tx_pin_open | holder_tx_pin_open | insert the holder into the charger again and clean its contacts |
      | IQOS 3 DUO | holder_not_connected | holder_not_connected | insert the holder into the charger again and clean its contacts |
      | IQOS 3 DUO | cleaning_needed | cleaning_needed | clean the holder |

  @needs:physical_actions @needs:simulated_time
  Scenario Outline: The last session of an <model> that ran its full profile
    Given an <model> paired with the app
    And a heating session has started
    And the heating session has ended
    When the app reads the diagnostics
    Then the diagnostics show the last session ended with "end of profile"
    And the diagnostics report a healthy device

    Examples:
      | model |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO |
      | IQOS 3 Multi |

  @needs:physical_actions
  Scenario Outline: The last session of an <model> that reached the puff limit
    Given an <model> paired with the app
    And a heating session has started
    And the user has taken 14 puffs
    When the app reads the diagnostics
    Then the diagnostics show the last session ended with "puff limit"

    Examples:
      | model |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO |
      | IQOS 3 Multi |

  @needs:physical_actions
  Scenario Outline: The last session of an <model> that the user ended
    Given an <model> paired with the app
    And a heating session has started
    And the user has taken 3 puffs
    And the user ends the heating session
    When the app reads the diagnostics
    Then the diagnostics show the last session ended with "user action"

    Examples:
      | model |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO |
      | IQOS 3 Multi |

  @needs:physical_actions
  Scenario Outline: An <model> that is heating reports a session in progress
    Given an <model> paired with the app
    And a heating session has started
    When the app reads the diagnostics
    Then the diagnostics show the last session ended with "heating in progress"

    Examples:
      | model |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO |
      | IQOS 3 Multi |
