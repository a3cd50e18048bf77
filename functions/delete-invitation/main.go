// Command delete-invitation is the Lambda function of DELETE /invitations/{invitationId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("deleteInvitation")
	if err != nil {
		log.Fatalf("delete-invitation: %v", err)
	}
	lambda.Start(h)
}
