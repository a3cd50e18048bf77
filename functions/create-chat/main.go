// Command create-chat is the Lambda function of POST /cases/{caseId}/chats.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createChat")
	if err != nil {
		log.Fatalf("create-chat: %v", err)
	}
	lambda.Start(h)
}
