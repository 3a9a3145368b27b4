upper
