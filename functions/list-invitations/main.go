// Command list-invitations is the Lambda function of GET /invitations.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listInvitations")
	if err != nil {
		log.Fatalf("list-invitations: %v", err)
	}
	lambda.Start(h)
}
