// Command authorizer is the Lambda authorizer of the HTTP API: it verifies the Cognito ID
// token and reads the caller's role in the X-Org-Id organization.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Authorizer(context.Background())
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	lambda.Start(h)
}
