package localstack

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// CreateUserPool creates a user pool in which users sign in with their email
// address (email is the username attribute, as in production) and an app
// client without a secret that allows USER_PASSWORD_AUTH and refresh tokens.
// It returns the pool and client IDs.
func CreateUserPool(ctx context.Context, c *cip.Client, name string) (poolID, clientID string, err error) {
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String(name),
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
	})
	if err != nil {
		return "", "", fmt.Errorf("create user pool %s: %w", name, err)
	}
	if pool.UserPool == nil || aws.ToString(pool.UserPool.Id) == "" {
		return "", "", fmt.Errorf("create user pool %s: response has no pool ID", name)
	}
	poolID = aws.ToString(pool.UserPool.Id)

	clientID, err = CreateUserPoolClient(ctx, c, poolID, name+"-client")
	if err != nil {
		return "", "", err
	}
	return poolID, clientID, nil
}

// CreateUserPoolClient adds an app client without a secret that allows USER_PASSWORD_AUTH and
// refresh tokens to a pool. A second client gives tokens with another audience, which the API
// must refuse.
func CreateUserPoolClient(ctx context.Context, c *cip.Client, poolID, name string) (clientID string, err error) {
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:     aws.String(poolID),
		ClientName:     aws.String(name),
		GenerateSecret: false, // a secret would require SECRET_HASH on every auth call
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		return "", fmt.Errorf("create user pool client for %s: %w", poolID, err)
	}
	if client.UserPoolClient == nil || aws.ToString(client.UserPoolClient.ClientId) == "" {
		return "", fmt.Errorf("create user pool client for %s: response has no client ID", poolID)
	}
	return aws.ToString(client.UserPoolClient.ClientId), nil
}

// CreateUser creates a confirmed user with a verified email and a permanent
// password, skipping the invitation email and the forced password change, so
// the user can SignIn immediately. It returns the user's sub, the stable ID
// that ends up in ID tokens.
func CreateUser(ctx context.Context, c *cip.Client, poolID, email, password string) (sub string, err error) {
	// The email itself is not in error messages: it is personal data.
	out, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID),
		Username:   aws.String(email),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
		MessageAction: types.MessageActionTypeSuppress,
	})
	if err != nil {
		return "", fmt.Errorf("create user in %s: %w", poolID, err)
	}
	if out.User != nil {
		sub = attribute(out.User.Attributes, "sub")
	}
	if sub == "" {
		// Real Cognito and cognito-local both return sub here; fall back to
		// a lookup rather than fail if some emulator version does not.
		got, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(email)})
		if err != nil {
			return "", fmt.Errorf("create user in %s: read sub: %w", poolID, err)
		}
		sub = attribute(got.UserAttributes, "sub")
	}
	if sub == "" {
		return "", fmt.Errorf("create user in %s: user has no sub attribute", poolID)
	}

	// With email as the username attribute the internal username is the sub,
	// but both real Cognito and cognito-local resolve the email alias here.
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID),
		Username:   aws.String(email),
		Password:   aws.String(password),
		Permanent:  true,
	}); err != nil {
		return "", fmt.Errorf("set password of user %s in %s: %w", sub, poolID, err)
	}
	return sub, nil
}

// SignIn authenticates with USER_PASSWORD_AUTH and returns the ID and access
// tokens. A challenge (new password required, MFA) is an error: users made
// by CreateUser never get one.
func SignIn(ctx context.Context, c *cip.Client, clientID, email, password string) (idToken, accessToken string, err error) {
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{
			"USERNAME": email,
			"PASSWORD": password,
		},
	})
	if err != nil {
		return "", "", fmt.Errorf("sign in with client %s: %w", clientID, err)
	}
	if out.ChallengeName != "" {
		return "", "", fmt.Errorf("sign in with client %s: unexpected challenge %s", clientID, out.ChallengeName)
	}
	res := out.AuthenticationResult
	if res == nil || aws.ToString(res.IdToken) == "" || aws.ToString(res.AccessToken) == "" {
		return "", "", fmt.Errorf("sign in with client %s: %w", clientID, errors.New("response has no tokens"))
	}
	return aws.ToString(res.IdToken), aws.ToString(res.AccessToken), nil
}

// attribute returns the value of the named user attribute, or "".
func attribute(attrs []types.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}
