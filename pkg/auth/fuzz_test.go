package auth

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// The fuzz tokens are the same in every process of a fuzz run (the coordinator and each
// worker), so that the seeds a worker receives still verify there: a fixed issuer (the JWKS
// is fetched from a separate URL), fixed times and keys derived from fixed seeds.
const (
	fuzzIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/" + testPoolID
	fuzzKid    = "fuzz-kid"
	fuzzIat    = 1700000000 // 2023-11-14
	fuzzExp    = 4102444800 // 2100-01-01
)

// derivedKey returns a 2048-bit RSA key made from seed: the same key every time, so that the
// signed seeds of the fuzz test are the same in every process, and no private key has to be
// kept in the repository.
func derivedKey(tb testing.TB, seed string) *rsa.PrivateKey {
	tb.Helper()
	var s [32]byte
	copy(s[:], seed)
	rng := rand.New(rand.NewChaCha8(s))
	e := big.NewInt(65537)
	one := big.NewInt(1)
	prime := func() *big.Int {
		b := make([]byte, 128)
		for {
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			b[0] |= 0xc0 // so that the product of two has 2048 bits
			b[len(b)-1] |= 1
			p := new(big.Int).SetBytes(b)
			if p.ProbablyPrime(20) && new(big.Int).GCD(nil, nil, e, new(big.Int).Sub(p, one)).Cmp(one) == 0 {
				return p
			}
		}
	}
	p, q := prime(), prime()
	phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: int(e.Int64())},
		D:         new(big.Int).ModInverse(e, phi),
		Primes:    []*big.Int{p, q},
	}
	key.Precompute()
	if err := key.Validate(); err != nil {
		tb.Fatalf("derived key: %v", err)
	}
	return key
}

// fuzzClaims are the claims of an ID token of the fuzz pool, with set applied (nil deletes).
func fuzzClaims(set map[string]any) jwt.MapClaims {
	return with(jwt.MapClaims{
		"sub":              "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01",
		"aud":              testClientID,
		"iss":              fuzzIssuer,
		"token_use":        "id",
		"email":            "Alice.Smith@Example.COM",
		"email_verified":   true,
		"cognito:username": "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01",
		"auth_time":        fuzzIat,
		"iat":              fuzzIat,
		"exp":              fuzzExp,
	}, set)
}

func signTB(tb testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	tb.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return s
}

// FuzzVerify feeds arbitrary strings to Verify. The only tokens it may accept are the valid
// ones signed below, byte for byte, each for exactly the identity it names; everything else is
// refused with EUNAUTHENTICATED and a message, and nothing panics. The same input is also read
// as an Authorization header by BearerToken.
func FuzzVerify(f *testing.F) {
	key := derivedKey(f, "casescribe fuzz signing key")
	other := derivedKey(f, "casescribe fuzz other key")
	jwks := &jwksServer{keys: map[string]*rsa.PublicKey{fuzzKid: &key.PublicKey}}
	jwks.Server = httptest.NewServer(http.HandlerFunc(jwks.serve))
	f.Cleanup(jwks.Close)
	v, err := NewVerifier(f.Context(), VerifierConfig{
		Issuer:     fuzzIssuer,
		ClientID:   testClientID,
		JWKSURL:    jwks.URL + jwksPath,
		HTTPClient: jwks.Client(),
		// Random kids would otherwise each wait for the refresh limiter.
		RefreshRateLimit: time.Hour,
	})
	if err != nil {
		f.Fatal(err)
	}

	kid := map[string]any{"kid": fuzzKid}
	rs256 := func(claims jwt.MapClaims) string { return signTB(f, jwt.SigningMethodRS256, key, kid, claims) }
	alice := Identity{UserID: "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01", Email: "alice.smith@example.com", EmailVerified: true}
	valid := map[string]Identity{}
	for _, tt := range []struct {
		header map[string]any
		claims jwt.MapClaims
		want   Identity
	}{
		{kid, fuzzClaims(nil), alice},
		{kid, fuzzClaims(map[string]any{"sub": "b-2", "email": "bob@example.com", "email_verified": "true", "aud": []string{"other-client", testClientID}}),
			Identity{UserID: "b-2", Email: "bob@example.com", EmailVerified: true}},
		{kid, fuzzClaims(map[string]any{"sub": "c-3", "email": "carol@example.com", "email_verified": nil}),
			Identity{UserID: "c-3", Email: "carol@example.com"}},
		// Signed with the pool's key, so only the pool could have made them; what they add or
		// lack changes nothing Verify relies on: exp as a numeric string still means that time,
		// the key is found without a kid, and crit and jku are ignored (keys come only from
		// the configured JWKS URL).
		{kid, fuzzClaims(map[string]any{"exp": "4102444800"}), alice},
		{map[string]any{"kid": nil}, fuzzClaims(nil), alice},
		{map[string]any{"kid": fuzzKid, "crit": []string{"exp"}}, fuzzClaims(nil), alice},
		{map[string]any{"kid": fuzzKid, "jku": "https://attacker.example/jwks.json"}, fuzzClaims(nil), alice},
	} {
		tok := signTB(f, jwt.SigningMethodRS256, key, tt.header, tt.claims)
		valid[tok] = tt.want
		f.Add(tok)
	}

	good := rs256(fuzzClaims(nil))
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	// The same signature bytes in another text: the last character's spare bits changed.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	spareBits := []byte(good)
	spareBits[len(spareBits)-1] = alphabet[strings.IndexByte(alphabet, good[len(good)-1])^1]
	for _, tok := range []string{
		// Signed with the right key, but not a valid ID token of this pool and app client.
		rs256(fuzzClaims(map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"})),
		rs256(fuzzClaims(map[string]any{"aud": "other-client"})),
		rs256(fuzzClaims(map[string]any{"aud": nil})),
		rs256(fuzzClaims(map[string]any{"exp": fuzzIat + 3600})),
		rs256(fuzzClaims(map[string]any{"exp": nil})),
		rs256(fuzzClaims(map[string]any{"exp": "1700003600"})),
		rs256(fuzzClaims(map[string]any{"iat": fuzzExp})),
		rs256(fuzzClaims(map[string]any{"nbf": fuzzExp})),
		rs256(fuzzClaims(map[string]any{"token_use": "access"})),
		rs256(fuzzClaims(map[string]any{"sub": nil})),
		rs256(fuzzClaims(map[string]any{"email": nil})),
		rs256(fuzzClaims(map[string]any{"email": 7})),
		rs256(fuzzClaims(map[string]any{"iss": fuzzIssuer + "/"})),
		signTB(f, jwt.SigningMethodRS512, key, kid, fuzzClaims(nil)),
		signTB(f, jwt.SigningMethodPS256, key, kid, fuzzClaims(nil)),
		signTB(f, jwt.SigningMethodRS256, key, map[string]any{"kid": "unknown"}, fuzzClaims(nil)),
		signTB(f, jwt.SigningMethodRS256, key, map[string]any{"kid": 1}, fuzzClaims(nil)),
		// Signed with a key the pool does not publish, under the pool's kid.
		signTB(f, jwt.SigningMethodRS256, other, kid, fuzzClaims(nil)),
		// Not signed, or signed with the public key as an HMAC secret.
		signTB(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, fuzzClaims(nil)),
		strings.TrimSuffix(signTB(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, fuzzClaims(nil)), "."),
		signTB(f, jwt.SigningMethodHS256, pubPEM, kid, fuzzClaims(nil)),
		signTB(f, jwt.SigningMethodHS256, pub, kid, fuzzClaims(nil)),
		// A valid token, altered.
		parts[0] + "." + b64([]byte(`{"sub":"5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01","email":"mallory@example.com"}`)) + "." + parts[2],
		parts[0] + "." + parts[1],
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[2],
		good[:len(good)-1],
		good[:len(good)/2],
		string(spareBits),
		good + "=",
		good + "\n",
		" " + good,
		parts[0] + "." + parts[1] + "." + base64.URLEncoding.EncodeToString(mustDecode(f, parts[2])),
		parts[0] + "." + parts[1] + "." + base64.StdEncoding.EncodeToString(mustDecode(f, parts[2])),
		parts[0] + "." + parts[1] + "." + parts[2][:100] + "\n" + parts[2][100:],
		b64([]byte(`{"alg":"RS256","kid":"fuzz-kid","alg":"none"}`)) + "." + parts[1] + "." + parts[2],
		// Not a token.
		"",
		".",
		"..",
		"e30.e30.e30",
		"not.a.token",
		strings.Repeat("A", maxTokenLen+1),
		strings.Repeat("eyJ", 2000) + "." + strings.Repeat("eyJ", 2000) + ".x",
	} {
		f.Add(tok)
	}

	f.Fuzz(func(t *testing.T, token string) {
		id, err := v.Verify(t.Context(), token)
		if want, ok := valid[token]; ok {
			if err != nil || id != want {
				t.Fatalf("valid token: got %+v, %v; want %+v", id, err, want)
			}
		} else if err == nil {
			t.Fatalf("Verify accepted a token that is not one of the signed valid tokens: %q gives %+v", token, id)
		} else if casescribe.ErrorCode(err) != casescribe.EUNAUTHENTICATED || casescribe.ErrorMessage(err) == "" || id != (Identity{}) {
			t.Fatalf("refused token: got %+v, %v (code %q); want only an unauthenticated error with a message", id, err, casescribe.ErrorCode(err))
		}

		// The same input as an Authorization header.
		tok, err := BearerToken(token)
		if err != nil {
			if casescribe.ErrorCode(err) != casescribe.EUNAUTHENTICATED || casescribe.ErrorMessage(err) == "" || tok != "" {
				t.Fatalf("BearerToken(%q) = %q, %v; want only an unauthenticated error with a message", token, tok, err)
			}
			return
		}
		fields := strings.Fields(token)
		if tok == "" || strings.IndexFunc(tok, unicode.IsSpace) >= 0 || len(fields) != 2 || !strings.EqualFold(fields[0], "Bearer") || fields[1] != tok {
			t.Fatalf("BearerToken(%q) = %q; want the one field after the Bearer scheme", token, tok)
		}
	})
}

func mustDecode(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
