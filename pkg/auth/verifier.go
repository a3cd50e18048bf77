// Package auth turns the Amazon Cognito ID token a caller sends into an Identity the rest of the
// backend can trust. It is the only place that knows about JWTs, signing keys and Cognito's
// claim names, so that handlers and the domain never have to, and so that every way a token can
// be wrong ends in the same casescribe.EUNAUTHENTICATED error.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// DefaultRefreshRateLimit is the shortest gap between two JWKS fetches caused by tokens with an
// unknown key ID. A minute keeps the load a flood of forged kids can put on the JWKS endpoint to
// one request per minute per warm Lambda instance, while a failed fetch (a network blip at cold
// start, say) stops refusing genuine tokens within a minute rather than keyfunc's five.
const DefaultRefreshRateLimit = time.Minute

const (
	// fetchTimeout bounds every JWKS fetch. The first one runs during Lambda init, where a hung
	// endpoint would otherwise eat the init budget; later ones run inside a caller's request.
	// keyfunc also uses it as the longest a request waits for the refresh limiter, so a burst
	// of unknown kids fails fast instead of queueing behind the limiter.
	fetchTimeout = 3 * time.Second

	// backgroundRefresh re-reads the JWKS even when no unknown kid asks for it, so that a key
	// Cognito withdraws stops verifying without a cold start.
	backgroundRefresh = time.Hour

	// maxTokenLen refuses absurd inputs before any base64 or JSON work; Cognito ID tokens are a
	// few kilobytes and API Gateway caps headers near 10 KiB anyway.
	maxTokenLen = 16 << 10
)

// The messages a person sees. They name no cause beyond expiry and token type, because the
// precise reason helps an attacker more than a user; the cause stays in the wrapped error for logs.
const (
	msgNoToken    = "Sign in: no bearer token was sent."
	msgBadScheme  = "Sign in: the Authorization header must be \"Bearer <token>\"."
	msgExpired    = "The sign-in token has expired."
	msgInvalid    = "The sign-in token is not valid."
	msgNotIDToken = "The sign-in token is not an ID token."
)

// Identity is who a verified token says the caller is. UserID is the Cognito sub, which never
// changes; Email is lowercased so that comparisons with invitations do not depend on how the
// person typed it.
type Identity struct {
	UserID string
	Email  string
	// EmailVerified is Cognito's word that the person proved they own Email; an invitation,
	// which is bound to an address, is accepted only from a verified one.
	EmailVerified bool
}

// VerifierConfig says which user pool and app client a token must come from.
//
// Issuer is the user pool's issuer, e.g. https://cognito-idp.eu-west-1.amazonaws.com/<poolId>
// in AWS or http://127.0.0.1:9229/<poolId> against the local emulator; a trailing slash is
// dropped because Cognito never writes one in iss. ClientID is the app client whose tokens are
// accepted (the aud claim). JWKSURL defaults to Issuer + "/.well-known/jwks.json", which is where
// both Cognito and the emulator publish their keys. HTTPClient defaults to a client with a short
// timeout. RefreshRateLimit is the shortest gap between JWKS refetches triggered by unknown key
// IDs; zero or negative means DefaultRefreshRateLimit.
type VerifierConfig struct {
	Issuer           string
	ClientID         string
	JWKSURL          string
	HTTPClient       *http.Client
	RefreshRateLimit time.Duration
}

// Verifier checks Cognito ID tokens against the user pool's published keys. It is built once per
// Lambda instance and shared by all invocations, so the keys are fetched once, not per request;
// it is safe for concurrent use.
type Verifier struct {
	keys   keyfunc.Keyfunc
	parser *jwt.Parser
}

// NewVerifier prepares a Verifier for cfg's user pool.
//
// keyfunc fetches the JWKS once here, bounded by a short timeout; if that fetch fails the
// Verifier is still returned, because a Lambda that dies at cold start cannot recover, while one
// that is up refetches the keys on the first token whose kid it does not know. Only a
// configuration that can never work (no issuer, no client ID, an unusable URL) is an error.
//
// ctx must outlive the Verifier: it bounds the first fetch and stops the hourly background
// refresh when cancelled.
func NewVerifier(ctx context.Context, cfg VerifierConfig) (*Verifier, error) {
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	if err := checkHTTPURL(issuer); err != nil {
		return nil, fmt.Errorf("auth: issuer %q: %w", cfg.Issuer, err)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("auth: no app client ID configured")
	}
	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		jwksURL = issuer + "/.well-known/jwks.json"
	}
	if err := checkHTTPURL(jwksURL); err != nil {
		return nil, fmt.Errorf("auth: JWKS URL %q: %w", jwksURL, err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	every := cfg.RefreshRateLimit
	if every <= 0 {
		every = DefaultRefreshRateLimit
	}

	tolerateFirstFetch := true
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{jwksURL}, keyfunc.Override{
		Client:                    client,
		HTTPTimeout:               fetchTimeout,
		NoErrorReturnFirstHTTPReq: &tolerateFirstFetch,
		RateLimitWaitMax:          fetchTimeout,
		RefreshInterval:           backgroundRefresh,
		// Burst 1: the first unknown kid after a quiet spell refetches at once, which is what
		// key rotation and a failed cold-start fetch need; the rest wait for the limiter.
		RefreshUnknownKID: rate.NewLimiter(rate.Every(every), 1),
	})
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS client for %q: %w", jwksURL, err)
	}

	parser := jwt.NewParser(
		// Only what Cognito signs with: this shuts out alg=none and HMAC tokens keyed with
		// the public key before a key is even looked up.
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(issuer),
		// Tokens of other app clients of the same pool carry the same signature and issuer;
		// aud is what tells them apart (and access tokens have no aud at all).
		jwt.WithAudience(cfg.ClientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		// No grace: Cognito and Lambda clocks are both NTP-synced, and a grace period only
		// lengthens the life of a stolen token.
		jwt.WithLeeway(0),
		// A signature's last character has spare bits; without this, several texts of one
		// token would verify.
		jwt.WithStrictDecoding(),
	)
	return &Verifier{keys: keys, parser: parser}, nil
}

// checkHTTPURL refuses configurations that would make every verification fail, so that a typo
// stops the deployment at init rather than locking every user out at run time.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an absolute http(s) URL")
	}
	return nil
}

// idTokenClaims holds the claims Verify reads beyond the registered ones.
type idTokenClaims struct {
	jwt.RegisteredClaims
	TokenUse      string `json:"token_use"`
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
}

// verified reads email_verified, which Cognito writes as a boolean and some tools as "true".
func verified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// Verify checks token (without its "Bearer " prefix) and returns who it names. Every failure is
// a casescribe.EUNAUTHENTICATED error; the reason is wrapped inside for logs and never includes
// the token. ctx bounds the JWKS refetch an unknown key ID may cause.
func (v *Verifier) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, unauthenticated(msgNoToken, nil)
	}
	if len(token) > maxTokenLen {
		return Identity{}, unauthenticated(msgInvalid, fmt.Errorf("token is %d bytes, over %d", len(token), maxTokenLen))
	}

	// The decoder would skip line breaks; a token is only base64url parts and dots.
	if i := strings.IndexFunc(token, notTokenChar); i >= 0 {
		return Identity{}, unauthenticated(msgInvalid, fmt.Errorf("token has a character outside base64url at byte %d", i))
	}

	var claims idTokenClaims
	if _, err := v.parser.ParseWithClaims(token, &claims, v.keys.KeyfuncCtx(ctx)); err != nil {
		// Expiry is the one failure a genuine client hits routinely, and telling it apart lets
		// the frontend refresh instead of signing the person out.
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Identity{}, unauthenticated(msgExpired, err)
		}
		return Identity{}, unauthenticated(msgInvalid, err)
	}

	// Access tokens are signed by the same keys, but they prove authorization to Cognito, not
	// who the person is, and carry no email.
	if claims.TokenUse != "id" {
		return Identity{}, unauthenticated(msgNotIDToken, errors.New(`token_use is not "id"`))
	}
	if claims.Subject == "" {
		return Identity{}, unauthenticated(msgInvalid, errors.New("no sub claim"))
	}
	if claims.Email == "" {
		return Identity{}, unauthenticated(msgInvalid, errors.New("no email claim"))
	}
	return Identity{UserID: claims.Subject, Email: strings.ToLower(claims.Email), EmailVerified: verified(claims.EmailVerified)}, nil
}

// notTokenChar reports whether r cannot appear in a compact JWT.
func notTokenChar(r rune) bool {
	return !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// unauthenticated builds the error every failure returns. Both the domain error and the reason
// are wrapped, so that casescribe.ErrorCode still finds the code and errors.Is still finds
// causes such as jwt.ErrTokenExpired.
func unauthenticated(msg string, reason error) error {
	e := casescribe.Errorf(casescribe.EUNAUTHENTICATED, "%s", msg)
	if reason == nil {
		return e
	}
	return fmt.Errorf("%w: %w", e, reason)
}
