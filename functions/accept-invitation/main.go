// Command accept-invitation is the Lambda function of POST /invitations/accept.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("acceptInvitation")
	if err != nil {
		log.Fatalf("accept-invitation: %v", err)
	}
	lambda.Start(h)
}
