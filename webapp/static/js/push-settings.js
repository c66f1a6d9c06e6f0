// The notifications settings page: the on/off buttons for this device.
import { currentSubscription, needsHomeScreen, pushSupported, turnOff, turnOn } from "./push.js";

const panel = document.getElementById("push-panel");
const onButton = document.getElementById("push-on");
const offButton = document.getElementById("push-off");
const status = document.getElementById("push-status");
const messages = document.getElementById("push-messages").content;
const options = {
  keyUrl: panel.dataset.keyUrl,
  subscriptionsUrl: panel.dataset.subscriptionsUrl,
  csrfToken: panel.dataset.csrf,
  swUrl: panel.dataset.swUrl,
};

function say(name, kind = "") {
  status.textContent = messages.querySelector(`[data-msg="${name}"]`).textContent;
  status.className = `alert${kind ? ` alert--${kind}` : ""}`;
  status.hidden = false;
}

function show(isOn) {
  onButton.hidden = isOn;
  offButton.hidden = !isOn;
}

async function start() {
  if (needsHomeScreen()) document.getElementById("push-ios").hidden = false;
  if (!pushSupported()) {
    say("unsupported", "warning");
    return;
  }
  if (Notification.permission === "denied") say("denied", "warning");
  try {
    // On only if the server sends this browser's subscription to this user (data-on): on a
    // shared phone it may be another member's, whose reminders stopped at this login.
    show("on" in panel.dataset && Boolean(await currentSubscription(options.swUrl)));
  } catch {
    show(false);
  }
}

async function act(action) {
  onButton.disabled = offButton.disabled = true;
  say("working");
  try {
    const result = await action(options);
    if (result === "denied") {
      say("denied", "warning");
    } else {
      // Reload so that the list of devices shows the change.
      window.location.reload();
      return;
    }
  } catch {
    say("failed", "error");
  } finally {
    onButton.disabled = offButton.disabled = false;
  }
}

onButton.addEventListener("click", () => act(turnOn));
offButton.addEventListener("click", () => act(turnOff));
start();
