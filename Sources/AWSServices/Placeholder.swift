enum AWSServicesPlaceholder {}
