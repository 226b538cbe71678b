// One device's card: the drawing, what it reports, the hands that act on it, its faults
// and its GATT traffic. Every button sends a control request; the card changes only when
// the server's update arrives, so it always shows the device, never a guess.

import { createDrawing } from './drawing.js';

const LOG_LIMIT = 500;
const HOLDER_STATES = {
  ready_to_use: 'ready', charging: 'charging', uncharged: 'empty',
  unplugged: 'reported out of the charger', cleaning: 'needs cleaning',
};
const LIGHT_WORDS = {
  off: 'off', steady: 'on', blink: 'blinking', pulse: 'pulsing (charging)', heating: 'heating',
  error: 'red, blinking', warning: 'orange, blinking', low: 'orange, blinking',
};

function minutes(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const rest = `${String(Math.floor((whole % 3600) / 60)).padStart(hours ? 2 : 1, '0')}:${String(whole % 60).padStart(2, '0')}`;
  return hours ? `${hours}:${rest}` : rest;
}

function element(name, text, className) {
  const made = document.createElement(name);
  if (text !== undefined) made.textContent = text;
  if (className) made.className = className;
  return made;
}

function meter(value) {
  const bar = element('meter');
  Object.assign(bar, { min: 0, max: 100, low: 11, high: 50, optimum: 100, value });
  return bar;
}

export class Card {
  constructor(device, groups, send) {
    this.device = device;
    this.send = send;
    this.view = null;
    this.root = document.getElementById('device-card').content.firstElementChild.cloneNode(true);
    this.root.dataset.address = device.address;
    this.root.classList.toggle('no-holder', !device.has_holder);
    this.field('name').textContent = device.name;
    this.field('model').textContent = device.model;
    this.field('address').textContent = device.address;
    this.drawing = createDrawing(device);
    this.field('drawing').append(this.drawing.svg);
    this.buildFaults(groups);
    this.root.addEventListener('click', (event) => this.clicked(event));
    this.root.querySelector('input[name=filter]').addEventListener('input', (event) => this.filter(event.target.value));
    this.field('log-hint').textContent = device.traffic
      ? 'decoded as the report decodes it'
      : 'not shown on this radio (BlueZ serves the link)';
    for (const entry of device.log) this.log(entry);
    this.update(device);
  }

  field(name) {
    return this.root.querySelector(`[data-field="${name}"]`);
  }

  fact(name) {
    return this.root.querySelector(`[data-fact="${name}"] dd`);
  }

  number(name) {
    return Number(this.root.querySelector(`input[name="${name}"]`).value);
  }

  // --- acting ---------------------------------------------------------------------------

  act(action, parameters = {}) {
    return this.send({ op: 'act', device: this.device.address, action, parameters });
  }

  controls() {
    const state = this.view.state;
    return {
      press: () => this.act('hold_button', { seconds: 1 }),
      hold: () => this.act('hold_button', { seconds: this.number('hold') }),
      reset: () => this.act('hold_button', { seconds: 10 }),
      holder: () => this.act(state.holder.in_charger ? 'remove_holder' : 'insert_holder'),
      pairing: () => this.act(state.pairing_mode ? 'leave_pairing_mode' : 'enter_pairing_mode'),
      start: () => this.act('start_heating'),
      puff: () => this.act('puff', { count: this.number('puffs') }),
      end: () => this.act('end_heating'),
      wait: () => this.act('wait', { seconds: this.number('seconds') }),
      'wait-session': () => this.act('wait', { seconds: this.device.session_seconds }),
      charger: () => this.battery('charger'),
      'holder-level': () => this.battery('holder'),
    };
  }

  battery(part) {
    return this.send({
      op: 'set_battery', device: this.device.address, part, level: this.number(part),
    });
  }

  clicked(event) {
    const button = event.target.closest('button');
    if (!button || !this.view) return;
    if (button.dataset.fault) {
      const active = button.getAttribute('aria-pressed') === 'true';
      this.send({ op: active ? 'clear' : 'inject', device: this.device.address, fault: button.dataset.fault });
    } else if (button.dataset.control) {
      this.controls()[button.dataset.control]();
    }
  }

  // --- faults ---------------------------------------------------------------------------

  buildFaults(groups) {
    const container = this.field('groups');
    const possible = new Set(this.device.faults);
    for (const group of groups) {
      const faults = group.faults.filter((fault) => possible.has(fault.name));
      const fieldset = element('fieldset', undefined, `fault-group ${group.kind}`);
      fieldset.append(element('legend', group.title));
      for (const fault of faults) {
        const button = element('button', undefined, 'fault');
        Object.assign(button, { type: 'button', title: fault.description });
        button.dataset.fault = fault.name;
        button.setAttribute('aria-pressed', 'false');
        button.append(element('code', fault.name), element('span', fault.description));
        fieldset.append(button);
      }
      const missing = group.faults.length - faults.length;
      if (missing) fieldset.append(element('p', `${missing} holder faults do not apply: the ${this.device.model} has no holder.`, 'hint'));
      container.append(fieldset);
    }
  }

  filter(text) {
    const wanted = text.trim().toLowerCase();
    for (const button of this.root.querySelectorAll('button.fault')) {
      button.hidden = Boolean(wanted) && !button.textContent.toLowerCase().includes(wanted);
    }
  }

  // --- showing --------------------------------------------------------------------------

  update(view) {
    this.view = view;
    const { state, lights, centrals } = view;
    this.field('clock').textContent = `sim clock ${minutes(state.clock_seconds)}`;
    this.drawing.update(view);
    this.root.dataset.holder = state.holder.in_charger ? 'in' : 'out';
    this.showBattery(state);
    this.showHeating(state);
    this.showPairing(state);
    this.showCentrals(centrals);
    this.showFaults(state.faults);
    this.showLights(lights);
    this.showControls(state);
  }

  showBattery(state) {
    const dd = this.fact('battery');
    const charger = element('div', undefined, 'level');
    charger.append(element('span', 'charger', 'what'), meter(state.battery.charger_level), element('span', `${state.battery.charger_level} %`, 'value'));
    dd.replaceChildren(charger);
    if (!this.device.has_holder) return;
    const holder = element('div', undefined, 'level');
    const level = state.battery.holder_level;
    holder.append(element('span', 'holder', 'what'), meter(level), element('span', `${level} %`, 'value'));
    const where = state.holder.in_charger
      ? `holder in the charger, ${HOLDER_STATES[state.holder.state] ?? state.holder.state}`
      : 'holder out of the charger: the battery frame carries no holder level';
    dd.append(holder, element('div', where, `note holder-${state.holder.in_charger ? 'in' : 'out'}`));
    dd.append(element('div', `${state.holder.sessions_left} session(s) left in the holder`, 'note'));
  }

  showHeating(state) {
    const dd = this.fact('heating');
    const rows = [];
    if (state.heating) {
      const elapsed = state.clock_seconds - state.heating.started;
      rows.push(element('div', `heating ${minutes(elapsed)} of ${minutes(this.device.session_seconds)}, ${state.heating.puffs} of ${this.device.puff_limit} puffs`, 'on'));
      const progress = element('progress');
      Object.assign(progress, { max: this.device.puff_limit, value: state.heating.puffs });
      rows.push(progress);
    } else {
      rows.push(element('div', 'no session'));
    }
    if (state.last_session) {
      rows.push(element('div', `last session: ${state.last_session.end_reason.replaceAll('_', ' ')}, ${state.last_session.puffs} puffs`, 'note'));
    }
    rows.push(element('div', `${state.sessions_smoked} session(s) since start`, 'note'));
    dd.replaceChildren(...rows);
  }

  showPairing(state) {
    const bonds = state.bonds.length ? `bonds: ${state.bonds.join(', ')}` : 'no bonds';
    this.fact('pairing').replaceChildren(
      element('div', state.pairing_mode ? 'pairing mode: on' : 'pairing mode: off', state.pairing_mode ? 'on' : ''),
      element('div', bonds, 'note'),
    );
  }

  showCentrals(centrals) {
    const dd = this.fact('centrals');
    if (centrals === null) {
      dd.replaceChildren(element('div', 'not shown on this radio', 'note'));
    } else if (!centrals.length) {
      dd.replaceChildren(element('div', 'nobody', 'note'));
    } else {
      dd.replaceChildren(...centrals.map((central) => element('div', `${central.address}${central.encrypted ? ' (encrypted)' : ''}`, 'on')));
    }
  }

  showFaults(faults) {
    const dd = this.fact('faults');
    const active = new Set(faults);
    dd.replaceChildren(...(faults.length ? faults.map((name) => {
      const chip = element('button', undefined, 'chip');
      Object.assign(chip, { type: 'button', title: `clear ${name}` });
      chip.dataset.fault = name;
      chip.setAttribute('aria-pressed', 'true');
      chip.append(element('span', name), element('span', '×', 'x'));
      return chip;
    }) : [element('div', 'none', 'note')]));
    for (const button of this.root.querySelectorAll('button.fault')) {
      button.setAttribute('aria-pressed', String(active.has(button.dataset.fault)));
    }
  }

  showLights(lights) {
    const words = [
      `${this.device.has_holder ? 'holder' : 'ready'} light ${LIGHT_WORDS[lights.holder]}`,
      `status ${LIGHT_WORDS[lights.status]}`,
      `Bluetooth ${LIGHT_WORDS[lights.bluetooth]}`,
      `charger ${lights.charger_segments} of 4${lights.charger_low ? ', low' : ''}`,
    ];
    if (lights.vibrating) words.push('vibrating');
    const dd = this.fact('lights');
    dd.textContent = words.join(' · ');
    dd.dataset.status = lights.status;
  }

  showControls(state) {
    const holder = this.root.querySelector('[data-control=holder]');
    holder.textContent = state.holder.in_charger ? 'Remove holder' : 'Insert holder';
    this.root.querySelector('[data-control=pairing]').textContent = state.pairing_mode ? 'Leave pairing mode' : 'Enter pairing mode';
    for (const part of ['charger', 'holder']) {
      const input = this.root.querySelector(`input[name=${part}]`);
      const level = state.battery[`${part}_level`];
      if (document.activeElement !== input && level !== null) input.value = level;
    }
  }

  // --- traffic --------------------------------------------------------------------------

  scrollLog() {
    const list = this.field('log');
    list.scrollTop = list.scrollHeight;
  }

  log(entry) {
    const list = this.field('log');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
    const line = element('li', undefined, entry.event ? 'event' : entry.direction.startsWith('app') ? 'in' : 'out');
    line.append(element('time', entry.at.toFixed(3)));
    if (entry.event) {
      line.append(element('span', entry.meaning, 'meaning'));
    } else {
      line.append(element('span', entry.direction, 'dir'), element('span', entry.characteristic, 'char'), element('code', entry.hex, 'hex'), element('span', entry.meaning, 'meaning'));
    }
    list.append(line);
    while (list.childElementCount > LOG_LIMIT) list.firstElementChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }
}
