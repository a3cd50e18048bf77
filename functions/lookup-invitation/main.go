// Command lookup-invitation is the Lambda function of GET /invitations/lookup.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("lookupInvitation")
	if err != nil {
		log.Fatalf("lookup-invitation: %v", err)
	}
	lambda.Start(h)
}
