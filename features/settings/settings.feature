@settings @severity:minor
Feature: Device settings
  From a paired device's settings the user can make the device signal itself
  (device locator) and choose when the holder vibrates (haptics).

  @needs:find_my
  Scenario Outline: Finding an <model> with the device locator
    Given an <model> paired with the app
    When the user starts the device locator
    Then the device vibrates
    When the user stops the device locator
    Then the device stops vibrating

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:haptics
  Scenario Outline: Turning off the vibration when an <model> is ready
    Given an <model> paired with the app
    When the user turns off the vibration for "ready"
    Then the device vibrates for "heating start, near end, manual end"
    And the device does not vibrate for "ready"

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:haptics
  Scenario Outline: Turning off every vibration of an <model>
    Given an <model> paired with the app
    When the user turns off the vibration for "heating start, ready, near end, manual end"
    Then the device does not vibrate for "heating start, ready, near end, manual end"

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
