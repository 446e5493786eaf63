enum AWSCorePlaceholder {}
