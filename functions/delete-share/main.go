// Command delete-share is the Lambda function of DELETE /shares/{shareId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("deleteShare")
	if err != nil {
		log.Fatalf("delete-share: %v", err)
	}
	lambda.Start(h)
}
