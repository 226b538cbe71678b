// The page: one live stream of events from the simulator, one card per device, and the
// control requests the cards send. After any reconnect the server sends the whole picture
// again ("hello"), so the page never has to patch over what it missed.

import { Card } from './card.js';

const token = new URLSearchParams(location.search).get('token');
const cards = new Map();
const main = document.getElementById('devices');
const link = document.getElementById('link');
const toast = document.getElementById('toast');
let toastTimer = null;

function withToken(path) {
  return token ? `${path}?token=${encodeURIComponent(token)}` : path;
}

function say(message) {
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 6000);
}

async function send(request) {
  let reply;
  try {
    const response = await fetch(withToken('/control'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    reply = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  } catch (error) {
    reply = { ok: false, error: `the simulator did not answer: ${error.message}` };
  }
  if (!reply.ok) say(`${request.action ?? request.fault ?? request.op}: ${reply.error}`);
  return reply;
}

function setLink(state, text) {
  link.dataset.state = state;
  link.textContent = text;
  document.body.classList.toggle('stale', state !== 'live');
}

function hello(picture) {
  cards.clear();
  main.replaceChildren();
  for (const device of picture.devices) {
    const card = new Card(device, picture.groups, send);
    cards.set(device.address, card);
    main.append(card.root);
    card.scrollLog();
  }
  if (!picture.devices.length) main.append(Object.assign(document.createElement('p'), { textContent: 'No devices yet.' }));
  setLink('live', `live · ${picture.devices.length} device(s)`);
}

function connect() {
  const events = new EventSource(withToken('/events'));
  events.addEventListener('hello', (event) => hello(JSON.parse(event.data)));
  events.addEventListener('device', (event) => {
    const view = JSON.parse(event.data);
    cards.get(view.address)?.update(view);
  });
  events.addEventListener('traffic', (event) => {
    const { address, entry } = JSON.parse(event.data);
    cards.get(address)?.log(entry);
  });
  events.addEventListener('error', () => setLink('lost', 'reconnecting…'));
}

connect();
