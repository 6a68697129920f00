from kinabase_m365 import create_app

app = create_app()
