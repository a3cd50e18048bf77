// Command post-chat-message is the Lambda function of POST /chats/{chatId}/messages.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
	"github.com/casescribe/sharing/pkg/bedrockai"
)

func main() {
	h, err := awslambda.Route("postChatMessage", awslambda.AI(bedrockai.FromConfig))
	if err != nil {
		log.Fatalf("post-chat-message: %v", err)
	}
	lambda.Start(h)
}
