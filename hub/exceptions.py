class ServiceError(Exception):
    """A refusal a service explains to the user.

    ``field`` names the form field it is about; ``status`` is the HTTP status the API answers.
    """

    def __init__(self, message, field=None, status=422, code=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.status = status
        self.code = code
