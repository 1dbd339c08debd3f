// Who is speaking: the sound level of a feed, measured with Web Audio. One AudioContext for
// the page (browsers allow it to run once the person has clicked something, as they have by
// the time a feed opens); each feed is sampled ten times a second.

const THRESHOLD = 0.02; // root mean square of the samples: quiet rooms stay below it
const HOLD_MS = 600; // speech has gaps between words: stay "speaking" across them
const EVERY_MS = 100;

let context = null;
const AudioContext = window.AudioContext || window.webkitAudioContext;

// A context made or resumed during a gesture runs; one made later (a camera that took seconds
// to start, the gesture's activation gone by then) would stay suspended and show nobody
// speaking. So the context is made, or resumed, on the person's clicks and keys.
function unlock() {
  if (!AudioContext) return;
  context ??= new AudioContext();
  if (context.state === "suspended") context.resume().catch(() => {});
}
for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, { capture: true });

// Call `onChange(speaking)` whenever `stream`'s sound starts or stops; returns a stop function.
export function listen(stream, onChange) {
  if (!AudioContext || !stream?.getAudioTracks().length) return () => {};
  unlock();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let speaking = false;
  let loudAt = -Infinity;
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const now = performance.now();
    if (Math.sqrt(sum / samples.length) > THRESHOLD) loudAt = now;
    const next = now - loudAt < HOLD_MS;
    if (next !== speaking) onChange((speaking = next));
  }, EVERY_MS);
  return () => {
    clearInterval(timer);
    source.disconnect();
    if (speaking) onChange(false);
  };
}
