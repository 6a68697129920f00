from kinabase_m365.app import create_app

app = create_app()
