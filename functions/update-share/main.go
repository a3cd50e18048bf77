// Command update-share is the Lambda function of PATCH /shares/{shareId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("updateShare")
	if err != nil {
		log.Fatalf("update-share: %v", err)
	}
	lambda.Start(h)
}
