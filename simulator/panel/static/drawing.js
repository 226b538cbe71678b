// A drawing of each model as inline SVG: shapes built once, lights and holder moved on update.
// Not to scale and not a product image: enough for a person to see at a glance what the
// device would show (which light, blinking or not, holder in or out, a stick heating).

const NS = 'http://www.w3.org/2000/svg';
const HOLDER = { width: 26, height: 160, radius: 12 };
const HOLDER_OUT = [168, 64];
const CHARGERS = {
  'iqos-3-duo': {
    body: [20, 40, 104, 200, 32], slot: [55, 46, 34, 152, 16], holderIn: [59, 30], lid: null,
  },
  'iqos-2.4-plus': {
    body: [20, 64, 104, 176, 16], slot: [56, 70, 32, 150, 14], holderIn: [59, 62],
    lid: [20, 40, 104, 30, 12],
  },
};

function node(name, attributes, parent) {
  const element = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  parent.appendChild(element);
  return element;
}

function lightsRow(group, centreX, y, width) {
  const gap = 3;
  const each = (width - 3 * gap) / 4;
  const left = centreX - width / 2;
  return [0, 1, 2, 3].map((i) => node('rect', {
    x: left + i * (each + gap), y, width: each, height: 5, rx: 2, class: 'light segment',
  }, group));
}

function drawHolder(group) {
  const holder = node('g', { class: 'holder' }, group);
  const stick = node('g', { class: 'stick' }, holder);
  node('rect', { x: 5, y: -30, width: 16, height: 36, rx: 2, class: 'stick-paper' }, stick);
  node('rect', { x: 5, y: -40, width: 16, height: 12, rx: 2, class: 'stick-filter' }, stick);
  node('circle', { cx: HOLDER.width / 2, cy: 6, r: 13, class: 'glow' }, holder);
  node('rect', {
    x: 0, y: 0, width: HOLDER.width, height: HOLDER.height, rx: HOLDER.radius, class: 'holder-body',
  }, holder);
  node('rect', { x: 0, y: 22, width: HOLDER.width, height: 6, class: 'holder-band' }, holder);
  const light = node('circle', { cx: HOLDER.width / 2, cy: 44, r: 3.5, class: 'light holder-light' }, holder);
  return { holder, light };
}

function drawCharger(group, modelKey) {
  const shape = CHARGERS[modelKey] ?? CHARGERS['iqos-3-duo'];
  const [x, y, width, height, radius] = shape.body;
  node('rect', { x, y, width, height, rx: radius, class: `charger ${modelKey}` }, group);
  const [sx, sy, sw, sh, sr] = shape.slot;
  node('rect', { x: sx, y: sy, width: sw, height: sh, rx: sr, class: 'slot' }, group);
  const centre = x + width / 2;
  const segments = lightsRow(group, centre, y + height - 36, 56);
  const status = node('circle', { cx: centre - 12, cy: y + height - 18, r: 4, class: 'light status' }, group);
  const bluetooth = node('circle', { cx: centre + 12, cy: y + height - 18, r: 4, class: 'light bluetooth' }, group);
  const { holder, light } = drawHolder(group);
  const lid = shape.lid && node('rect', {
    x: shape.lid[0], y: shape.lid[1], width: shape.lid[2], height: shape.lid[3], rx: shape.lid[4],
    class: 'lid',
  }, group);
  const place = (inCharger) => {
    holder.setAttribute('transform', `translate(${inCharger ? shape.holderIn : HOLDER_OUT})`);
    if (lid) {
      const [lx, ly, , lh] = shape.lid;
      lid.setAttribute('transform', inCharger ? '' : `rotate(-38 ${lx} ${ly + lh})`);
    }
  };
  return { segments, status, bluetooth, holderLight: light, place };
}

function drawOnePiece(group) {
  const [x, y, width, height] = [88, 44, 44, 196];
  const stick = node('g', { class: 'stick', transform: `translate(${x + 9} ${y})` }, group);
  node('rect', { x: 0, y: -30, width: 26, height: 36, rx: 2, class: 'stick-paper' }, stick);
  node('rect', { x: 0, y: -42, width: 26, height: 14, rx: 2, class: 'stick-filter' }, stick);
  node('circle', { cx: x + width / 2, cy: y + 6, r: 16, class: 'glow' }, group);
  node('rect', { x, y, width, height, rx: 20, class: 'charger one-piece' }, group);
  node('rect', { x, y, width, height: 52, rx: 20, class: 'cap' }, group);
  const centre = x + width / 2;
  const holderLight = node('circle', { cx: centre, cy: y + 72, r: 4, class: 'light holder-light' }, group);
  const segments = lightsRow(group, centre, y + height - 48, 34);
  const status = node('circle', { cx: centre - 9, cy: y + height - 26, r: 4, class: 'light status' }, group);
  const bluetooth = node('circle', { cx: centre + 9, cy: y + height - 26, r: 4, class: 'light bluetooth' }, group);
  return { segments, status, bluetooth, holderLight, place: null };
}

function drawBuzz(svg) {
  const buzz = node('g', { class: 'buzz' }, svg);
  for (const path of ['M10 110 q-8 20 0 40', 'M2 100 q-10 30 0 60', 'M210 110 q8 20 0 40', 'M218 100 q10 30 0 60']) {
    node('path', { d: path, class: 'buzz-line' }, buzz);
  }
}

export function createDrawing(device) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '-10 -10 240 262');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `drawing of the ${device.model}`);
  svg.classList.add('device-drawing');
  const body = node('g', { class: 'body' }, svg);
  const parts = device.has_holder ? drawCharger(body, device.model_key) : drawOnePiece(body);
  drawBuzz(svg);
  return {
    svg,
    update(view) {
      const { lights, state } = view;
      svg.classList.toggle('heating', lights.heating);
      svg.classList.toggle('vibrating', lights.vibrating);
      parts.segments.forEach((segment, index) => {
        const lit = index < lights.charger_segments;
        segment.dataset.light = lit ? (lights.charger_low ? 'low' : 'steady') : 'off';
      });
      parts.status.dataset.light = lights.status;
      parts.bluetooth.dataset.light = lights.bluetooth;
      parts.holderLight.dataset.light = lights.holder;
      if (parts.place) parts.place(state.holder.in_charger);
    },
  };
}
