// Command update-view is the Lambda function of PATCH /views/{viewId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("updateView")
	if err != nil {
		log.Fatalf("update-view: %v", err)
	}
	lambda.Start(h)
}
