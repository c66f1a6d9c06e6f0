// The desk's account page: its logout button logs out as the field app does (logout.js).
import { logOut, OFFLINE } from "./logout.js";

const core = self.sotd;
const form = document.getElementById("logout-form");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const done = await logOut(async () => {
    try {
      await core.sync();
    } catch (error) { /* what could not go stays, locked, for the next login */ }
    return true;
  }).catch(() => OFFLINE);
  if (done === OFFLINE) form.submit(); // the page's own form: the server session ends now
});
