// Security keys and passkeys (WebAuthn) for the account pages; no dependencies, no inline script.
//
// A form marked `data-security-key="create"` (adding a key) or `"get"` (signing in with one) carries the
// options the server made, as JSON in `data-options`, with its buffers in base64url. On submit this asks
// the browser for a credential, writes it into the hidden `credential` field as JSON (buffers again in
// base64url, the shape of WebAuthn Level 3's PublicKeyCredential.toJSON()), and submits the form for the
// server to check. When the browser refuses (cancelled, timed out, a key already registered), the error's
// name goes in `credential_error` instead and the server says what happened. The form stays hidden, and
// the page's explanation shown, when the browser has no WebAuthn or this script does not run.

const toBytes = (base64url) => {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
};

const toBase64url = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const withBytes = (descriptors) =>
  (descriptors || []).map((descriptor) => ({ ...descriptor, id: toBytes(descriptor.id) }));

const creationOptions = (options) => ({
  ...options,
  challenge: toBytes(options.challenge),
  user: { ...options.user, id: toBytes(options.user.id) },
  excludeCredentials: withBytes(options.excludeCredentials),
});

const requestOptions = (options) => ({
  ...options,
  challenge: toBytes(options.challenge),
  allowCredentials: withBytes(options.allowCredentials),
});

const credentialJson = (credential) => {
  const response = credential.response;
  const encoded = { clientDataJSON: toBase64url(response.clientDataJSON) };
  if (response.attestationObject) {
    encoded.attestationObject = toBase64url(response.attestationObject);
    encoded.transports = typeof response.getTransports === "function" ? response.getTransports() : [];
  } else {
    encoded.authenticatorData = toBase64url(response.authenticatorData);
    encoded.signature = toBase64url(response.signature);
    if (response.userHandle) {
      encoded.userHandle = toBase64url(response.userHandle);
    }
  }
  return JSON.stringify({
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: encoded,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  });
};

const enhance = (form) => {
  const ceremony = form.dataset.securityKey;
  const options = JSON.parse(form.dataset.options);
  const credentialField = form.elements.namedItem("credential");
  const errorField = form.elements.namedItem("credential_error");
  const nameField = form.elements.namedItem("name");
  let asking = false;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // Without a name the server only asks for one: no need to touch the key first.
    if (asking || (nameField && !nameField.value.trim())) {
      if (!asking) form.submit();
      return;
    }
    asking = true;
    credentialField.value = "";
    errorField.value = "";
    try {
      const credential =
        ceremony === "create"
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({ publicKey: requestOptions(options) });
      credentialField.value = credentialJson(credential);
    } catch (error) {
      errorField.value = (error && error.name) || "Error";
    }
    form.submit();
  });

  form.hidden = false;
  for (const explanation of document.querySelectorAll("[data-security-key-unavailable]")) {
    explanation.hidden = true;
  }
};

if (window.PublicKeyCredential && navigator.credentials) {
  for (const form of document.querySelectorAll("form[data-security-key]")) {
    enhance(form);
  }
}
