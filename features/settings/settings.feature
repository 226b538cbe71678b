@settings @severity:minor
Feature: Device settings
  From a paired device's settings the user can make the device signal itself
  (device locator) and choose when the holder vibrates (haptics). The locator
  stops by itself after 30 seconds (an assumption: the profiles'
  `behaviour.locator_seconds`; a bench whose devices differ changes both).

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
    And the user turns on the vibration for "heating start, ready, near end, manual end"
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

  @needs:haptics
  Scenario Outline: Turning the vibration of an <model> off and on again
    Given an <model> paired with the app
    And the user turns on the vibration for "heating start, ready, near end, manual end"
    And the user turns off the vibration for "heating start, near end"
    When the user turns on the vibration for "heating start"
    Then the device vibrates for "heating start, ready, manual end"
    And the device does not vibrate for "near end"
    When the user turns on the vibration for "near end"
    Then the device vibrates for "heating start, ready, near end, manual end"

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |

  @needs:find_my
  Scenario Outline: The locator of an <model> stops by itself after 30 seconds
    Given an <model> paired with the app
    When the user starts the device locator
    And 25 seconds pass
    Then the device vibrates
    When 5 seconds pass
    Then the device stops vibrating

    Examples:
      | model         |
      | IQOS 2.4 Plus |
      | IQOS 3 DUO    |
      | IQOS 3 Multi  |
