// Reads the QR codes in the scan screen's camera frames, off the page's thread, with jsQR
// (THIRD_PARTY.md). A frame comes as RGBA pixels; the answer is the texts read (none or one).
importScripts("/web/vendor/jsQR.js");

self.onmessage = (event) => {
  const { width, height, frame } = event.data;
  const found = self.jsQR(new Uint8ClampedArray(frame), width, height, {
    inversionAttempts: "dontInvert",
  });
  self.postMessage(found ? [found.data] : []);
};
