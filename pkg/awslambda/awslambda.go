// Package awslambda is the Lambda glue: it builds what a function needs once, at cold start,
// from its environment, and adapts the route handlers and the authorizer to API Gateway HTTP
// API events (payload 2.0). No rule lives here.
package awslambda

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
)

// Config is a function's configuration, from its environment (see template.yaml).
type Config struct {
	Region           string // AWS_REGION, set by Lambda
	TableName        string // TABLE_NAME
	UserPoolID       string // USER_POOL_ID
	UserPoolClientID string // USER_POOL_CLIENT_ID
	// CognitoIssuer overrides the issuer derived from the region and pool (COGNITO_ISSUER),
	// for cognito-local.
	CognitoIssuer string
	// CognitoJWKSURL overrides where the signing keys are fetched (COGNITO_JWKS_URL), for
	// sam local, whose containers reach cognito-local at another address than the issuer's.
	CognitoJWKSURL string
	// DynamoDBEndpoint points at DynamoDB Local for sam local (DYNAMODB_ENDPOINT).
	DynamoDBEndpoint string
	// AppBaseURL is the web app, whose pages the emails link to (APP_BASE_URL).
	AppBaseURL string
	// MailFrom is the verified SES sender identity (MAIL_FROM). Without it no email is sent.
	MailFrom string
	// SESEndpoint points at aws-ses-v2-local for sam local (SES_ENDPOINT).
	SESEndpoint string
	// DocumentsBucket is the S3 bucket of document files (DOCUMENTS_BUCKET).
	DocumentsBucket string
	// S3Endpoint points at the local S3 stand-in for sam local (S3_ENDPOINT).
	S3Endpoint string
	// AIProvider is "bedrock" for Amazon Bedrock, anything else for the local answerer
	// (AI_PROVIDER).
	AIProvider string
	// BedrockModelID is the model Ask AI uses on Bedrock (BEDROCK_MODEL_ID).
	BedrockModelID string
	// BedrockEndpoint points the Bedrock client elsewhere, for tests (BEDROCK_ENDPOINT).
	BedrockEndpoint string
}

// ConfigFromEnv reads the configuration and says which variables are missing.
func ConfigFromEnv() (Config, error) {
	c := Config{
		Region:           os.Getenv("AWS_REGION"),
		TableName:        os.Getenv("TABLE_NAME"),
		UserPoolID:       os.Getenv("USER_POOL_ID"),
		UserPoolClientID: os.Getenv("USER_POOL_CLIENT_ID"),
		CognitoIssuer:    os.Getenv("COGNITO_ISSUER"),
		CognitoJWKSURL:   os.Getenv("COGNITO_JWKS_URL"),
		DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		AppBaseURL:       os.Getenv("APP_BASE_URL"),
		MailFrom:         os.Getenv("MAIL_FROM"),
		SESEndpoint:      os.Getenv("SES_ENDPOINT"),
		DocumentsBucket:  os.Getenv("DOCUMENTS_BUCKET"),
		S3Endpoint:       os.Getenv("S3_ENDPOINT"),
		AIProvider:       os.Getenv("AI_PROVIDER"),
		BedrockModelID:   os.Getenv("BEDROCK_MODEL_ID"),
		BedrockEndpoint:  os.Getenv("BEDROCK_ENDPOINT"),
	}
	var missing []string
	if c.Region == "" {
		missing = append(missing, "AWS_REGION")
	}
	if c.TableName == "" {
		missing = append(missing, "TABLE_NAME")
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// Issuer is the Cognito issuer that tokens must name.
func (c Config) Issuer() string {
	if c.CognitoIssuer != "" {
		return strings.TrimRight(c.CognitoIssuer, "/")
	}
	return fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", c.Region, c.UserPoolID)
}

// DynamoDB returns the DynamoDB client. Credentials come from the variables Lambda sets for
// the function's role; the shared-config and credential-chain loaders are left out on
// purpose, as they add to cold start and binary size and a Lambda never needs them.
func (c Config) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(c.aws(), func(o *dynamodb.Options) {
		if c.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(c.DynamoDBEndpoint)
		}
	})
}

// Mailer returns the SES mailer, or nil when no sender is configured.
func (c Config) Mailer() *sesmail.Mailer {
	if c.MailFrom == "" {
		return nil
	}
	return sesmail.New(ses.NewFromConfig(c.aws(), func(o *ses.Options) {
		if c.SESEndpoint != "" {
			o.BaseEndpoint = aws.String(c.SESEndpoint)
		}
	}), c.MailFrom)
}

// Extra adds to a route's server what only some functions need, built from the configuration
// at cold start; it lets the functions that ask the AI link the Bedrock client (and those that
// keep document files their file store) while the others stay without them.
type Extra func(Config) (api.Option, error)

// Documents makes the route keep document files in the configured bucket, through the file
// store newFiles builds (s3files.FromConfig).
func Documents[F api.Files](newFiles func(cfg aws.Config, endpoint, bucket string) F) Extra {
	return func(c Config) (api.Option, error) {
		if c.DocumentsBucket == "" {
			return nil, fmt.Errorf("missing environment variable: DOCUMENTS_BUCKET")
		}
		return api.WithFiles(newFiles(c.aws(), c.S3Endpoint, c.DocumentsBucket)), nil
	}
}

// AI makes the route answer through Amazon Bedrock, with the provider newBedrock builds
// (bedrockai.FromConfig), when AI_PROVIDER is "bedrock"; otherwise through the local
// extractive answerer, the server's default.
func AI[P api.AIProvider](newBedrock func(cfg aws.Config, endpoint, modelID string) P) Extra {
	return func(c Config) (api.Option, error) {
		if c.AIProvider != "bedrock" {
			return func(*api.Server) {}, nil
		}
		if c.BedrockModelID == "" {
			return nil, fmt.Errorf("missing environment variable: BEDROCK_MODEL_ID")
		}
		return api.WithAI(newBedrock(c.aws(), c.BedrockEndpoint, c.BedrockModelID)), nil
	}
}

func (c Config) aws() aws.Config {
	return aws.Config{
		Region: c.Region,
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	}
}

// RouteHandler is the Lambda handler of one route.
type RouteHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// logger makes JSON lines on stderr (which Lambda sends to CloudWatch Logs) the process's
// logger, for the API's records and for anything else that logs, the log package included.
func logger() *slog.Logger {
	l := api.NewLogger(os.Stderr)
	slog.SetDefault(l)
	return l
}

// Route builds the handler of the route with the given operation id.
func Route(routeID string, extras ...Extra) (RouteHandler, error) {
	log := logger()
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	opts := []api.Option{api.WithLogger(log)}
	for _, x := range extras {
		o, err := x(cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	if m := cfg.Mailer(); m != nil {
		opts = append(opts, api.WithMailer(m, cfg.AppBaseURL))
	}
	h, ok := api.NewServer(store.New(cfg.DynamoDB(), cfg.TableName), opts...).Handler(routeID)
	if !ok {
		return nil, fmt.Errorf("no route %q", routeID)
	}
	return proxy(h), nil
}

// AuthorizerHandler is the Lambda handler of the HTTP API authorizer (simple responses).
type AuthorizerHandler func(context.Context, events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error)

// Authorizer builds the authorizer handler.
func Authorizer(ctx context.Context) (AuthorizerHandler, error) {
	logger()
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	if cfg.UserPoolID == "" || cfg.UserPoolClientID == "" {
		return nil, fmt.Errorf("missing environment variables: USER_POOL_ID and USER_POOL_CLIENT_ID")
	}
	verifier, err := auth.NewVerifier(ctx, auth.VerifierConfig{Issuer: cfg.Issuer(), ClientID: cfg.UserPoolClientID, JWKSURL: cfg.CognitoJWKSURL})
	if err != nil {
		return nil, err
	}
	return authorize(auth.NewAuthorizer(verifier, store.New(cfg.DynamoDB(), cfg.TableName))), nil
}

// authorize answers every request with isAuthorized true and the verdict in the context: the
// route function refuses whatever is not a complete caller, in the API's JSON error shape.
// The route comes from API Gateway's routeKey, so what a route needs is decided by the route
// table, not by the request.
func authorize(a api.Authenticator) AuthorizerHandler {
	return func(ctx context.Context, req events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		need := api.NeedOf(req.RouteKey)
		caller, err := a.Authenticate(ctx, header(req.Headers, "authorization"), header(req.Headers, api.OrgHeader), need)
		// Refusals are the route's to log, with the rest of its access line. Only our own
		// faults are logged here, with the route key and never the headers (the token).
		if err != nil && casescribe.ErrorCode(err) == casescribe.EINTERNAL {
			ctx = api.WithRequestID(ctx, req.RequestContext.RequestID)
			slog.ErrorContext(ctx, "authorizer failed", "route", req.RouteKey, "errorCode", casescribe.EINTERNAL, "error", err.Error())
		}
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: encodeVerdict(caller, err)}, nil
	}
}

// header reads a header of a payload 2.0 event; API Gateway lower-cases their names, but a
// hand-made event (sam local, tests) may not.
func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
