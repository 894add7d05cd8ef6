"""The web application: dashboards, data collection and accounts for bureau staff, school
clerks and inspectors. Routes call the service functions in ``services``; pages are Jinja2
templates in Simplified Chinese with English available."""
