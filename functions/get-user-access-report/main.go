// Command get-user-access-report is the Lambda function of GET /users/{userId}/access-report.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getUserAccessReport")
	if err != nil {
		log.Fatalf("get-user-access-report: %v", err)
	}
	lambda.Start(h)
}
