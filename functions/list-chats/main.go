// Command list-chats is the Lambda function of GET /cases/{caseId}/chats.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listChats")
	if err != nil {
		log.Fatalf("list-chats: %v", err)
	}
	lambda.Start(h)
}
