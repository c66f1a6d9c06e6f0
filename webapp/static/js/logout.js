/* Logging out, from the field app or the desk's account page (DESIGN.md §4): with a form half
   filled in, offer to go back to it; with entries waiting, warn and offer to send them first
   (and stay logged in if they could not go); every key and working set leaves the phone; the
   session ends on the server now, or at the app's next open when offline. */
import { ask, h, t } from "./ui.js";

const core = self.sotd;
export const OFFLINE = "offline";

/** `send()` syncs and resolves false if the logout must stop (the server wants a login first).
 * Resolves false (stopped), OFFLINE (forgotten here, the session ends when online), or true. */
export async function logOut(send) {
  const user = await core.currentUser();
  // Forms half filled in (core.drafts) are thrown away at a logout: the member chooses first.
  const half = user ? await core.drafts(user) : [];
  if (half.length) {
    const choice = await ask(t("logout_draft", { n: half.length }), [["open", t("draft_go_on")],
      ["drop", t("logout_drop_draft")], ["cancel", t("cancel")]]);
    if (choice === "cancel") return false;
    if (choice === "open") {
      location.assign("/app/" + half[0].hash);
      return false;
    }
  }
  const n = user ? (await core.counts(user.id)).waiting : 0;
  if (n) {
    // Offline, nothing can be sent first: the member is still told what stays behind, locked.
    const choice = await ask(t(navigator.onLine ? "logout_waiting" : "logout_offline_waiting", { n }),
      (navigator.onLine ? [["sync", t("logout_sync_first")]] : []).concat([["now", t("logout_anyway")], ["cancel", t("cancel")]]));
    if (choice === "cancel") return false;
    if (choice === "sync") {
      if (!(await send())) return false;
      // Sent, or not: what is still on the phone is said, and nothing is logged out.
      const left = (await core.counts(user.id)).waiting;
      if (left) {
        await ask(t("logout_not_sent", { n: left }), [["ok", t("understood")]]);
        return false;
      }
    }
  }
  let token = null;
  try { token = await core.csrf(); } catch (e) { /* offline: the session ends when online */ }
  // Thrown away, as chosen: drafts do not wait for the next login as entries do (forgetAll).
  if (half.length) await core.dropDrafts(user);
  await core.forgetAll(!token);
  const endpoint = await endPush();
  if (!token) return OFFLINE;
  const form = h("form", { method: "post", action: "/logout" },
    h("input", { type: "hidden", name: "csrf_token", value: token }),
    h("input", { type: "hidden", name: "push_endpoint", value: endpoint }));
  document.body.append(form);
  form.submit();
  return true;
}

/* No one's reminders come to a phone nobody is logged in on (it may be lent or shared): this
   browser's push subscription ends, and the server forgets it with the logout (auth.logout).
   Offline, the push service refuses it from now on, so the server drops it at its next send. */
async function endPush() {
  try {
    const reg = await navigator.serviceWorker.getRegistration("/");
    const sub = reg && (await reg.pushManager.getSubscription());
    if (!sub) return "";
    await sub.unsubscribe();
    return sub.endpoint;
  } catch (e) {
    return "";
  }
}
