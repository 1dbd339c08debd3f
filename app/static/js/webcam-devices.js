// The local camera and microphone: capturing them, the devices there are to choose from, and
// a new track for a live switch. No page here; webcam.js decides when.

export function supported() {
  return Boolean(navigator.mediaDevices?.getUserMedia);
}

// My camera, and my microphone if `audio`; `camera` / `microphone` are the device ids chosen
// ("" for the default). A chosen device that is gone falls back to the default.
export async function capture({ audio, camera, microphone }) {
  const ask = (video, sound) => navigator.mediaDevices.getUserMedia({ video: exactly(video), audio: audio ? exactly(sound) : false });
  try {
    return await ask(camera, microphone);
  } catch (error) {
    if (!(camera || microphone) || !["OverconstrainedError", "NotFoundError"].includes(error?.name)) throw error;
    return ask("", "");
  }
}

// One new track from this device, or the default one (a switch while live).
export async function captureTrack(kind, deviceId) {
  const stream = await navigator.mediaDevices.getUserMedia({ [kind === "video" ? "video" : "audio"]: exactly(deviceId) });
  return stream.getTracks()[0];
}

// Browsers take an `ideal` device id as a hint they may ignore; a choice must be `exact`.
function exactly(deviceId) {
  return deviceId ? { deviceId: { exact: deviceId } } : true;
}

// The cameras and microphones there are. Their names are empty until the person has allowed
// the camera once; then they are shown as "Camera 1", "Camera 2".
export async function devices() {
  const all = navigator.mediaDevices?.enumerateDevices ? await navigator.mediaDevices.enumerateDevices() : [];
  const named = (kind, word) =>
    all.filter((device) => device.kind === kind && device.deviceId)
      .map((device, index) => ({ id: device.deviceId, label: device.label || `${word} ${index + 1}` }));
  return { video: named("videoinput", "Camera"), audio: named("audioinput", "Microphone") };
}

// A remembered device, by id (stable while the site keeps the permission) or else by name
// (some browsers give new ids each visit).
export function remembered(list, id, label) {
  return (list.find((device) => device.id === id) || list.find((device) => label && device.label === label))?.id || "";
}

export function explain(error, withMic) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The camera was not allowed. Let this site use your camera in your browser's settings, then try again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return withMic ? "No camera or microphone was found on this device." : "No camera was found on this device.";
    case "NotReadableError":
    case "AbortError":
      return "Your camera could not be started: another program may be using it.";
    default:
      return `Your camera could not be started (${error?.message || error}).`;
  }
}
