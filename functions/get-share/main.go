// Command get-share is the Lambda function of GET /shares/{shareId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getShare")
	if err != nil {
		log.Fatalf("get-share: %v", err)
	}
	lambda.Start(h)
}
