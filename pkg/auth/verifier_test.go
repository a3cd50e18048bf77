package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/casescribe/sharing/pkg/casescribe"
)

const (
	testPoolID   = "eu-west-1_TestPool"
	testClientID = "test-app-client"
	jwksPath     = "/" + testPoolID + "/.well-known/jwks.json"
)

// Key generation is the slow part of these tests, so each named key is made once per run.
var (
	keysMu   sync.Mutex
	testKeys = map[string]*rsa.PrivateKey{}
)

func rsaKey(t *testing.T, name string) *rsa.PrivateKey {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if k, ok := testKeys[name]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	testKeys[name] = k
	return k
}

// jwksServer plays the user pool's JWKS endpoint: keys can be rotated, the endpoint can be made
// to fail, and every request is counted so that refetches can be asserted.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
	failing atomic.Bool

	mu   sync.Mutex
	keys map[string]*rsa.PublicKey // by kid
}

func newJWKSServer(t *testing.T, kid string, key *rsa.PrivateKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: map[string]*rsa.PublicKey{kid: &key.PublicKey}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	if r.URL.Path != jwksPath {
		http.NotFound(w, r)
		return
	}
	if s.failing.Load() {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type jwk struct {
		Alg string `json:"alg"`
		E   string `json:"e"`
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		N   string `json:"n"`
		Use string `json:"use"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{}
	for kid, pub := range s.keys {
		set.Keys = append(set.Keys, jwk{
			Alg: "RS256",
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			Kid: kid,
			Kty: "RSA",
			N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			Use: "sig",
		})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// setKeys replaces the published keys, as Cognito does when it rotates.
func (s *jwksServer) setKeys(keys map[string]*rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *jwksServer) issuer() string { return s.URL + "/" + testPoolID }

func newTestVerifier(t *testing.T, s *jwksServer, rateLimit time.Duration) *Verifier {
	t.Helper()
	v, err := NewVerifier(t.Context(), VerifierConfig{
		Issuer:           s.issuer(),
		ClientID:         testClientID,
		HTTPClient:       s.Client(),
		RefreshRateLimit: rateLimit,
	})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// idClaims are the claims of a Cognito ID token as the user pool issues them.
func idClaims(issuer string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub":              "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01",
		"aud":              testClientID,
		"iss":              issuer,
		"token_use":        "id",
		"email":            "Alice.Smith@Example.COM",
		"email_verified":   true,
		"cognito:username": "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01",
		"auth_time":        now.Add(-time.Minute).Unix(),
		"iat":              now.Add(-time.Minute).Unix(),
		"exp":              now.Add(time.Hour).Unix(),
	}
}

// with returns a copy of c with set applied; a nil value deletes the claim.
func with(c jwt.MapClaims, set map[string]any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range set {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return s
}

// tamper rewrites one claim in the payload of a signed token and keeps the old signature.
func tamper(t *testing.T, token, claim string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatalf("unmarshal payload: %v", err)
	}
	payload[claim] = value
	raw, err = json.Marshal(payload)
	if err != nil {
		t.Fatalf("marshal payload: %v", err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// assertUnauthenticated checks the code and message a client would see, and that the token
// never leaks into the error text that ends up in logs.
func assertUnauthenticated(t *testing.T, err error, wantMsg, token string) {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want an unauthenticated error")
	}
	if got, want := casescribe.ErrorCode(err), casescribe.EUNAUTHENTICATED; got != want {
		t.Errorf("ErrorCode = %q, want %q (err: %v)", got, want, err)
	}
	if got, want := casescribe.ErrorMessage(err), wantMsg; got != want {
		t.Errorf("ErrorMessage = %q, want %q (err: %v)", got, want, err)
	}
	if token != "" && strings.Contains(err.Error(), token) {
		t.Errorf("error text contains the token: %v", err)
	}
	if parts := strings.Split(token, "."); len(parts) == 3 && len(parts[1]) > 8 && strings.Contains(err.Error(), parts[1]) {
		t.Errorf("error text contains the token payload: %v", err)
	}
}

func TestVerifyValidIDToken(t *testing.T) {
	key := rsaKey(t, "pool")
	srv := newJWKSServer(t, "kid-1", key)
	v := newTestVerifier(t, srv, 0)

	token := sign(t, jwt.SigningMethodRS256, key, "kid-1", idClaims(srv.issuer()))
	got, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Identity{UserID: "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01", Email: "alice.smith@example.com", EmailVerified: true}
	if got != want {
		t.Errorf("Verify = %+v, want %+v", got, want)
	}
}

func TestVerifyRefuses(t *testing.T) {
	key := rsaKey(t, "pool")
	other := rsaKey(t, "other")
	srv := newJWKSServer(t, "kid-1", key)
	v := newTestVerifier(t, srv, 0)
	iss := srv.issuer()
	now := time.Now()
	valid := sign(t, jwt.SigningMethodRS256, key, "kid-1", idClaims(iss))

	pkix, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("marshal public key: %v", err)
	}
	pkixPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	pkcs1 := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})

	accessClaims := jwt.MapClaims{
		"sub":       "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01",
		"iss":       iss,
		"client_id": testClientID,
		"token_use": "access",
		"scope":     "aws.cognito.signin.user.admin",
		"username":  "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01",
		"auth_time": now.Add(-time.Minute).Unix(),
		"iat":       now.Add(-time.Minute).Unix(),
		"exp":       now.Add(time.Hour).Unix(),
	}

	tests := []struct {
		name    string
		token   string
		wantMsg string
	}{
		{"empty token", "", msgNoToken},
		{"garbage", "not-a-jwt", msgInvalid},
		{"three garbage segments", "abc.def.ghi", msgInvalid},
		{"only dots", "..", msgInvalid},
		{"oversized", strings.Repeat("a", maxTokenLen+1), msgInvalid},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "kid-1", idClaims(iss)), msgInvalid},
		{"alg none without signature part", strings.TrimSuffix(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "kid-1", idClaims(iss)), "."), msgInvalid},
		{"HS256 keyed with public key PEM (PKIX)", sign(t, jwt.SigningMethodHS256, pkixPEM, "kid-1", idClaims(iss)), msgInvalid},
		{"HS256 keyed with public key DER (PKIX)", sign(t, jwt.SigningMethodHS256, pkix, "kid-1", idClaims(iss)), msgInvalid},
		{"HS256 keyed with public key PEM (PKCS1)", sign(t, jwt.SigningMethodHS256, pkcs1PEM, "kid-1", idClaims(iss)), msgInvalid},
		{"HS256 keyed with public key DER (PKCS1)", sign(t, jwt.SigningMethodHS256, pkcs1, "kid-1", idClaims(iss)), msgInvalid},
		{"RS512 with the pool key", sign(t, jwt.SigningMethodRS512, key, "kid-1", idClaims(iss)), msgInvalid},
		{"PS256 with the pool key", sign(t, jwt.SigningMethodPS256, key, "kid-1", idClaims(iss)), msgInvalid},
		{"expired 1s ago", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"exp": now.Add(-time.Second).Unix()})), msgExpired},
		{"nbf in the future", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"nbf": now.Add(time.Minute).Unix()})), msgInvalid},
		{"iat in the future", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"iat": now.Add(time.Minute).Unix()})), msgInvalid},
		{"missing exp", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"exp": nil})), msgInvalid},
		{"exp as a string", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"exp": "tomorrow"})), msgInvalid},
		{"wrong iss", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"})), msgInvalid},
		{"iss with trailing slash", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"iss": iss + "/"})), msgInvalid},
		{"missing iss", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"iss": nil})), msgInvalid},
		{"wrong aud", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"aud": "other-app-client"})), msgInvalid},
		{"missing aud", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"aud": nil})), msgInvalid},
		{"access token", sign(t, jwt.SigningMethodRS256, key, "kid-1", accessClaims), msgInvalid},
		{"access token with aud", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(accessClaims, map[string]any{"aud": testClientID})), msgNotIDToken},
		{"missing token_use", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"token_use": nil})), msgNotIDToken},
		{"missing sub", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"sub": nil})), msgInvalid},
		{"empty sub", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"sub": ""})), msgInvalid},
		{"missing email", sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(iss), map[string]any{"email": nil})), msgInvalid},
		{"unknown kid", sign(t, jwt.SigningMethodRS256, other, "kid-unknown", idClaims(iss)), msgInvalid},
		{"known kid, other key", sign(t, jwt.SigningMethodRS256, other, "kid-1", idClaims(iss)), msgInvalid},
		{"tampered email", tamper(t, valid, "email", "mallory@example.com"), msgInvalid},
		{"tampered sub", tamper(t, valid, "sub", "00000000-0000-0000-0000-000000000000"), msgInvalid},
		{"tampered exp", tamper(t, valid, "exp", now.Add(24*time.Hour).Unix()), msgInvalid},
		{"signature stripped", valid[:strings.LastIndex(valid, ".")+1], msgInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(t.Context(), tt.token)
			if got != (Identity{}) {
				t.Errorf("Verify = %+v, want zero Identity", got)
			}
			assertUnauthenticated(t, err, tt.wantMsg, tt.token)
		})
	}
}

func TestVerifyExpiredKeepsCause(t *testing.T) {
	key := rsaKey(t, "pool")
	srv := newJWKSServer(t, "kid-1", key)
	v := newTestVerifier(t, srv, 0)

	token := sign(t, jwt.SigningMethodRS256, key, "kid-1", with(idClaims(srv.issuer()), map[string]any{"exp": time.Now().Add(-time.Second).Unix()}))
	_, err := v.Verify(t.Context(), token)
	if !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("errors.Is(err, jwt.ErrTokenExpired) = false, want true (err: %v)", err)
	}
	var domain *casescribe.Error
	if !errors.As(err, &domain) {
		t.Fatalf("errors.As(err, *casescribe.Error) = false, want true (err: %v)", err)
	}
}

func TestVerifyRefetchesOnKeyRotation(t *testing.T) {
	oldKey := rsaKey(t, "pool")
	newKey := rsaKey(t, "rotated")
	srv := newJWKSServer(t, "kid-old", oldKey)
	v := newTestVerifier(t, srv, 0)
	iss := srv.issuer()

	if _, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodRS256, oldKey, "kid-old", idClaims(iss))); err != nil {
		t.Fatalf("Verify with the original key: %v", err)
	}
	if got, want := srv.fetches.Load(), int64(1); got != want {
		t.Fatalf("JWKS fetches before rotation = %d, want %d (keys are cached)", got, want)
	}

	srv.setKeys(map[string]*rsa.PublicKey{"kid-new": &newKey.PublicKey})
	got, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodRS256, newKey, "kid-new", idClaims(iss)))
	if err != nil {
		t.Fatalf("Verify with the rotated key: %v", err)
	}
	if got.Email != "alice.smith@example.com" {
		t.Errorf("Email = %q, want %q", got.Email, "alice.smith@example.com")
	}
	if got, want := srv.fetches.Load(), int64(2); got != want {
		t.Errorf("JWKS fetches after rotation = %d, want %d", got, want)
	}

	// The refetch replaced the cache, so the withdrawn key no longer verifies, and the limiter
	// keeps that refusal from fetching again.
	_, err = v.Verify(t.Context(), sign(t, jwt.SigningMethodRS256, oldKey, "kid-old", idClaims(iss)))
	assertUnauthenticated(t, err, msgInvalid, "")
	if got, want := srv.fetches.Load(), int64(2); got != want {
		t.Errorf("JWKS fetches after withdrawn-key token = %d, want %d", got, want)
	}
}

func TestVerifyRateLimitsRefetches(t *testing.T) {
	key := rsaKey(t, "pool")
	forger := rsaKey(t, "other")
	srv := newJWKSServer(t, "kid-1", key)
	v := newTestVerifier(t, srv, time.Hour)
	iss := srv.issuer()

	const attempts = 25
	for i := range attempts {
		token := sign(t, jwt.SigningMethodRS256, forger, fmt.Sprintf("forged-%d", i), idClaims(iss))
		_, err := v.Verify(t.Context(), token)
		assertUnauthenticated(t, err, msgInvalid, token)
	}
	// One fetch at construction, at most one more for the whole burst.
	if got, max := srv.fetches.Load(), int64(2); got > max {
		t.Errorf("JWKS fetches after %d unknown kids = %d, want at most %d", attempts, got, max)
	}

	// The pool's own tokens still verify from the cache meanwhile.
	if _, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodRS256, key, "kid-1", idClaims(iss))); err != nil {
		t.Errorf("Verify genuine token during the burst: %v", err)
	}
}

func TestNewVerifierSurvivesJWKSOutage(t *testing.T) {
	key := rsaKey(t, "pool")
	srv := newJWKSServer(t, "kid-1", key)
	srv.failing.Store(true)

	v := newTestVerifier(t, srv, 0)
	if got := srv.fetches.Load(); got != 1 {
		t.Errorf("JWKS fetches at construction = %d, want 1", got)
	}

	// Back up: the first token's unknown kid triggers the refetch that fills the cache.
	srv.failing.Store(false)
	got, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodRS256, key, "kid-1", idClaims(srv.issuer())))
	if err != nil {
		t.Fatalf("Verify after the outage: %v", err)
	}
	if want := "5b1c2f0e-7a43-4c55-9d0e-3f1f5a2b9c01"; got.UserID != want {
		t.Errorf("UserID = %q, want %q", got.UserID, want)
	}
}

func TestNewVerifierUnreachableJWKS(t *testing.T) {
	key := rsaKey(t, "pool")
	dead := httptest.NewServer(http.NotFoundHandler())
	issuer := dead.URL + "/" + testPoolID
	dead.Close() // nothing listens there any more

	v, err := NewVerifier(t.Context(), VerifierConfig{Issuer: issuer, ClientID: testClientID})
	if err != nil {
		t.Fatalf("NewVerifier with unreachable JWKS: %v, want nil", err)
	}
	token := sign(t, jwt.SigningMethodRS256, key, "kid-1", idClaims(issuer))
	_, err = v.Verify(t.Context(), token)
	assertUnauthenticated(t, err, msgInvalid, token)
}

func TestNewVerifierConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     VerifierConfig
		wantErr bool
	}{
		{"no issuer", VerifierConfig{ClientID: testClientID}, true},
		{"issuer not a URL", VerifierConfig{Issuer: "eu-west-1_Pool", ClientID: testClientID}, true},
		{"issuer with other scheme", VerifierConfig{Issuer: "ftp://example.com/pool", ClientID: testClientID}, true},
		{"no client ID", VerifierConfig{Issuer: "http://127.0.0.1:1/pool"}, true},
		{"bad JWKS URL", VerifierConfig{Issuer: "http://127.0.0.1:1/pool", ClientID: testClientID, JWKSURL: "jwks.json"}, true},
		{"unreachable but well-formed", VerifierConfig{Issuer: "http://127.0.0.1:1/pool", ClientID: testClientID}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(t.Context(), tt.cfg)
			if got, want := err != nil, tt.wantErr; got != want {
				t.Errorf("NewVerifier error = %v, want error: %v", err, want)
			}
		})
	}
}

func TestNewVerifierTrailingSlashIssuer(t *testing.T) {
	key := rsaKey(t, "pool")
	srv := newJWKSServer(t, "kid-1", key)
	v, err := NewVerifier(t.Context(), VerifierConfig{
		Issuer:     srv.issuer() + "/",
		ClientID:   testClientID,
		HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	if _, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodRS256, key, "kid-1", idClaims(srv.issuer()))); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    string
		wantMsg string // "" when the header is accepted
	}{
		{"canonical", "Bearer abc.def.ghi", "abc.def.ghi", ""},
		{"lowercase scheme", "bearer abc.def.ghi", "abc.def.ghi", ""},
		{"uppercase scheme", "BEARER abc.def.ghi", "abc.def.ghi", ""},
		{"extra blanks", "  Bearer \t abc.def.ghi  ", "abc.def.ghi", ""},
		{"empty", "", "", msgNoToken},
		{"blank", "   ", "", msgNoToken},
		{"scheme only", "Bearer", "", msgNoToken},
		{"scheme and space", "Bearer ", "", msgNoToken},
		{"basic", "Basic dXNlcjpwYXNz", "", msgBadScheme},
		{"bare token", "abc.def.ghi", "", msgBadScheme},
		{"no separator", "Bearerabc.def.ghi", "", msgBadScheme},
		{"other scheme", "Token abc.def.ghi", "", msgBadScheme},
		{"two tokens", "Bearer abc def", "", msgBadScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BearerToken(tt.header)
			if got != tt.want {
				t.Errorf("BearerToken = %q, want %q", got, tt.want)
			}
			if tt.wantMsg == "" {
				if err != nil {
					t.Errorf("BearerToken error = %v, want nil", err)
				}
				return
			}
			assertUnauthenticated(t, err, tt.wantMsg, "")
			if strings.Contains(err.Error(), "dXNlcjpwYXNz") || strings.Contains(err.Error(), "abc") {
				t.Errorf("error text echoes the header: %v", err)
			}
		})
	}
}

func TestEmailVerifiedClaim(t *testing.T) {
	tests := []struct {
		claim any
		want  bool
	}{{true, true}, {"true", true}, {false, false}, {"false", false}, {nil, false}, {1, false}}
	for _, tt := range tests {
		if got := verified(tt.claim); got != tt.want {
			t.Errorf("verified(%v) = %v, want %v", tt.claim, got, tt.want)
		}
	}
}
