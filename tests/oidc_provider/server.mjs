// A real OpenID Connect provider (the certified `oidc-provider` package) for the LMS's tests.
//
// Listens on 127.0.0.1 on a free port and prints one line, `listening http://127.0.0.1:PORT`.
// Accounts come from the JSON file named by OIDC_ACCOUNTS_FILE, read at each look-up so a test
// can add people while the provider runs: { "login": { "email", "email_verified", "tid",
// "hd", "name", "preferred_username" } }; the login is the subject. The sign-in page is oidc-provider's development one: type a login
// from the file and any password. Consent is granted at once, as a first-party app's would be.
// Clients register themselves (dynamic registration), each with its own redirect URI; PKCE is
// required of every client.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const accountsFile = process.env.OIDC_ACCOUNTS_FILE;

function readAccounts() {
  try {
    return JSON.parse(readFileSync(accountsFile, 'utf8'));
  } catch {
    return {};
  }
}

// The login typed at the sign-in page is the account's subject (`sub`).
async function findAccount(ctx, id) {
  const account = readAccounts()[id];
  if (!account) return undefined;
  return {
    accountId: id,
    async claims() {
      const claims = { sub: id };
      for (const key of ['email', 'email_verified', 'tid', 'hd', 'name', 'preferred_username']) {
        if (account[key] !== undefined) claims[key] = account[key];
      }
      return claims;
    },
  };
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    findAccount,
    claims: {
      openid: ['sub', 'tid', 'hd'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // The claims go in the ID token itself, as Entra ID and Google put them.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
    },
    pkce: { required: () => true },
    cookies: { keys: ['lms-test-provider-cookie-key'] },
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        accountId: ctx.oidc.session.accountId,
        clientId: ctx.oidc.client.clientId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  // Plain http on 127.0.0.1 is what a test may use; the LMS refuses it anywhere else.
  provider.proxy = false;
  provider.on('server_error', (ctx, err) => console.error(err));
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
