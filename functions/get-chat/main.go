// Command get-chat is the Lambda function of GET /chats/{chatId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getChat")
	if err != nil {
		log.Fatalf("get-chat: %v", err)
	}
	lambda.Start(h)
}
