// Command create-view is the Lambda function of POST /cases/{caseId}/views.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createView")
	if err != nil {
		log.Fatalf("create-view: %v", err)
	}
	lambda.Start(h)
}
