// Command create-invitation is the Lambda function of POST /invitations.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createInvitation")
	if err != nil {
		log.Fatalf("create-invitation: %v", err)
	}
	lambda.Start(h)
}
